#!/usr/bin/env python3
"""Regenerates the court registry (nodes/<court>.json) from the key log kept beside it.

`nodes/keylog.jsonl` holds the hub's key-log records (protocol section 16.10), one canonical JSON
record per line, as `courtsync audit keys --out nodes` writes them after proving each one in a
signed checkpoint. This script replays them by the key log's rules (no Swift needed) and writes,
or with --check compares, one `<court>.json` per court, 410800 included, with each court's key
history (every key it held, a rotated-in key with the `from_seq` from which it signs). A hand-edited registry
file, or a key log that breaks a rule, fails the check.

    python3 protocol/tools/make_registry.py            # write nodes/<court>.json
    python3 protocol/tools/make_registry.py --check    # exit 1 if any file disagrees
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import courtsync_protocol as cp  # noqa: E402

NODES = cp.PROTOCOL_DIR.parent / "nodes"


def main(argv) -> int:
    check = "--check" in argv[1:]
    directory = Path(next((a for a in argv[1:] if a != "--check"), NODES))
    keylog = directory / "keylog.jsonl"
    if not keylog.exists():
        extra = sorted(p.name for p in directory.glob("[0-9]" * 6 + ".json"))
        if extra:
            print(f"{directory}: {', '.join(extra)} but no keylog.jsonl: registry files must come from the key log "
                  "(`courtsync audit keys --auditor FILE --out nodes`)")
            return 1
        print(f"{directory}: no key log yet (keylog.jsonl), no registry files: up to date")
        return 0
    log = cp.KeyLog()
    for i, line in enumerate(keylog.read_text(encoding="utf-8").splitlines(), 1):
        err = log.apply(cp.strict_parse(line))
        if err:
            print(f"{keylog}:{i}: {err}")
            return 1
    stale = []
    registry = log.registry()
    for court, entry in registry.items():
        path = directory / f"{court}.json"
        data = cp.jcs(entry) + b"\n"
        if path.exists() and path.read_bytes() == data:
            continue
        if check:
            stale.append(f"{path} disagrees with the key log (it should say key {entry['public_key'][:16]}…, {entry['status']}, "
                         f"and the key history with each rotated-in key's from_seq): regenerate it without --check")
        else:
            path.write_bytes(data)
            print(f"wrote {path}")
    for path in sorted(directory.glob("[0-9]" * 6 + ".json")):
        if path.stem not in registry:
            stale.append(f"{path} names a court the key log never enrolled")
    if stale:
        print("\n".join(stale))
        return 1
    print(f"{directory}: {len(registry)} courts, all as the key log says")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
