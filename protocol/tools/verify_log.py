#!/usr/bin/env python3
"""Verifies a CourtSync export file (JSON Lines) of one court's log, independently of the Swift code.

    python3 protocol/tools/verify_log.py --public-key HEX --court 410802 [--from SEQ [--prev HASH]] FILE
    python3 protocol/tools/verify_log.py --registry nodes --court 410802 FILE

With --registry, the court's key history (`keys` in nodes/<court>.json, section 16.10) is used:
a court that rotated its key verifies whole, under the rule of section 10.

Prints "ok: N events, head seq S hash H" and exits 0, or prints "seq S: <reason>" (or
"line L: <reason>" when the line's seq cannot be read) and exits 1. Usage errors exit 2.
FILE may be "-" for standard input.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import courtsync_protocol as cp  # noqa: E402


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(2)


def main(argv=None) -> int:
    p = _Parser(prog="verify_log.py", description="Verify one court's CourtSync export (JSON Lines).")
    p.add_argument("--public-key", metavar="HEX",
                   help="the court's enrolled Ed25519 public key, 64 lowercase hex digits")
    p.add_argument("--registry", metavar="DIR",
                   help="a registry directory (nodes/): verify under the court's key history instead")
    p.add_argument("--court", required=True, metavar="CODE", help="the expected court code, e.g. 410802")
    p.add_argument("--from", dest="start", type=int, default=1, metavar="SEQ",
                   help="seq of the first line, for a suffix export (default 1)")
    p.add_argument("--prev", metavar="HASH",
                   help="for a suffix export: the known hash of event SEQ-1 (otherwise the first prev is not checked)")
    p.add_argument("file", metavar="FILE", help="the export file, or - for standard input")
    a = p.parse_args(argv)

    if not re.fullmatch(r"[0-9]{6}", a.court):
        p.error("--court must be a 6-digit court code, e.g. 410802")
    history = None
    if (a.public_key is None) == (a.registry is None):
        p.error("give exactly one of --public-key HEX or --registry DIR")
    if a.registry is not None:
        entry = Path(a.registry) / f"{a.court}.json"
        try:
            reg = cp.strict_parse(entry.read_bytes())
        except (OSError, cp.JSONError):
            p.error(f"cannot read a registry file {entry}: give --registry the hub's nodes/ directory")
        history = reg.get("keys") if isinstance(reg, dict) else None
        if not isinstance(history, list) or not history:
            history = [{"public_key": reg.get("public_key", ""), "status": reg.get("status", "active")}] if isinstance(reg, dict) else []
        a.public_key = history[-1].get("public_key", "") if history else ""
    if not re.fullmatch(r"[0-9a-f]{64}", a.public_key):
        p.error("--public-key must be 64 lowercase hex digits")
    if a.start < 1:
        p.error("--from must be at least 1")
    if a.prev is not None and (a.start == 1 or not re.fullmatch(r"[0-9a-f]{64}", a.prev)):
        p.error("--prev needs --from greater than 1 and 64 lowercase hex digits")
    try:
        cp.parse_public_key(a.public_key)
    except ValueError as e:
        p.error(f"--public-key: {e}")
    try:
        data = sys.stdin.buffer.read() if a.file == "-" else Path(a.file).read_bytes()
    except OSError as e:
        p.error(f"cannot read {a.file}: {e.strerror}")

    result = cp.verify_export(data, a.public_key, a.court, a.start, a.prev, key_history=history)
    print(result)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
