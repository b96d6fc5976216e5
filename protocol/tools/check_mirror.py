#!/usr/bin/env python3
"""Checks a mirror of a CourtSync hub's transparency log (protocol §16.13), independently of the Swift code.

    python3 protocol/tools/check_mirror.py --key VERIFIER_KEY DIR

DIR holds the hub's tiles in the C2SP tlog-tiles layout (`checkpoint`, `tile/<L>/<N>[.p/<W>]`,
`tile/entries/<N>[.p/<W>]`), as `courtsync audit mirror --out DIR` keeps them. The checkpoint
must verify under VERIFIER_KEY (as `courtsync hub init` printed it), the entry bundles must hash
to its root (RFC 9162), and every hash tile must be the one those entries make.

Prints "ok: ..." and exits 0, or "FAILED: <reason>" and exits 1. Usage errors exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import courtsync_protocol as cp  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="check_mirror.py", description="Check a mirror of a CourtSync hub's tiles against its checkpoint.")
    p.add_argument("--key", required=True, metavar="VERIFIER_KEY", help="the hub's checkpoint verifier key (<origin>+<key id>+<base64>)")
    p.add_argument("dir", metavar="DIR", help="the mirror directory")
    args = p.parse_args(argv)
    root_dir = Path(args.dir)

    def read(path):
        f = root_dir / path
        return f.read_bytes() if f.is_file() else None

    try:
        origin, size, root, entries = cp.mirror_check(read, args.key)
    except cp.ProtocolError as e:
        print(f"FAILED: {e}")
        return 1
    kinds = Counter("event" if e[:1] == b"\x01" else "key-log record" if e[:1] == b"\x02" else "unknown" for e in entries)
    import base64
    print(f"ok: {origin} size {size} root {base64.b64encode(root).decode()}; "
          + ", ".join(f"{n} {k}s" for k, n in sorted(kinds.items())) + "; every entry bundle and hash tile checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
