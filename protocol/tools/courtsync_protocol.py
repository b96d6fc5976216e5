"""CourtSync event protocol v1: an independent reference implementation in Python.

Needs only the standard library and the `cryptography` package. It is written from
protocol/README.md, not from the Swift code, so that the two implementations check each other
through the vectors in protocol/vectors/.

Main entry points:

    jcs(value) -> bytes                 RFC 8785 canonical JSON (integers only)
    strict_parse(text) -> value         JSON parser with the protocol's restrictions
    load_catalog(path=None) -> Catalog  protocol/event-catalog.json
    body_error(body, catalog)           first problem of an event body, or None
    envelope_error(env, catalog)        first problem of a whole envelope, or None
    event_hash(body) -> str             lowercase hex SHA-256 of jcs(body)
    sign_message(hash_hex) -> bytes     the 51-byte message that is signed
    sign(seed, body) -> dict            the envelope (body + hash + sig)
    export_line(envelope) -> str        one JSON Lines line (without the "\\n")
    verify_log(lines, public_key_hex, expected_node, start_seq=1, start_prev=None)
    Writer                              appends to one node's log (seq, prev, idempotent ids)
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# ---------------------------------------------------------------------------------------------
# Constants of the protocol

ENVELOPE_VERSION = 1
DOMAIN = b"courtsync/event/v1"
GENESIS_PREV = "0" * 64
MAX_SAFE_INTEGER = 2**53 - 1
MAX_DEPTH = 64
POLICY_NODE = "410800"
BODY_MEMBERS = ("v", "node", "seq", "id", "type", "at", "dept", "data", "prev")
REQUIRED_BODY_MEMBERS = ("v", "node", "seq", "id", "type", "at", "data", "prev")
ENVELOPE_MEMBERS = BODY_MEMBERS + ("hash", "sig")
DEFAULT_STRING_MAX = 256
TEXT_MAX = 10000
LIST_MAX = 64

PROTOCOL_DIR = Path(__file__).resolve().parent.parent
CATALOG_PATH = PROTOCOL_DIR / "event-catalog.json"

_NODE_RE = re.compile(r"[0-9]{6}")
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,127}")
_DEPT_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_HEX64_RE = re.compile(r"[0-9a-f]{64}")
_HEX128_RE = re.compile(r"[0-9a-f]{128}")
_TS_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(Z|([+-])([0-9]{2}):([0-9]{2}))"
)
_TS_NO_OFFSET_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}")
_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_PERIOD_RE = re.compile(r"([0-9]{4})(?:-([0-9]{2})|-H([12]))?")


class ProtocolError(Exception):
    """A refusal. `message` is one line saying what is wrong; `code` is a stable short tag."""

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


class JSONError(ProtocolError):
    """The text is not JSON this protocol accepts.

    code is one of: syntax, float, duplicate, out_of_range, negative_zero, surrogate, depth.
    """


def _q(s: str) -> str:
    """A string quoted for a one-line message."""
    return json.dumps(s, ensure_ascii=False)


def kind_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a floating-point number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# ---------------------------------------------------------------------------------------------
# RFC 8785 canonical JSON, restricted to this protocol (no floats)

_SHORT_ESCAPES = {0x22: '\\"', 0x5C: "\\\\", 0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"}


def _jcs_string(s: str, out: list) -> None:
    out.append('"')
    for ch in s:
        c = ord(ch)
        if 0xD800 <= c <= 0xDFFF:
            raise JSONError(f"unpaired surrogate U+{c:04X} in a string", "surrogate")
        esc = _SHORT_ESCAPES.get(c)
        if esc is not None:
            out.append(esc)
        elif c < 0x20:
            out.append(f"\\u{c:04x}")
        else:
            out.append(ch)
    out.append('"')


def utf16_key(s: str) -> bytes:
    """Sort key for RFC 8785 member order: the UTF-16 code units (big-endian bytes compare alike)."""
    return s.encode("utf-16-be", "surrogatepass")


def _jcs(value: Any, out: list, depth: int) -> None:
    if value is None:
        out.append("null")
    elif value is True:  # bool before int: True is an int in Python
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise JSONError(f"integer {value} is beyond ±(2^53 − 1)", "out_of_range")
        out.append(str(int(value)))
    elif isinstance(value, float):
        raise JSONError(f"floating-point number {value!r} is not allowed: signed data holds integers only", "float")
    elif isinstance(value, str):
        _jcs_string(value, out)
    elif isinstance(value, (list, tuple)):
        if depth >= MAX_DEPTH:
            raise JSONError(f"nesting deeper than {MAX_DEPTH} levels", "depth")
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _jcs(item, out, depth + 1)
        out.append("]")
    elif isinstance(value, dict):
        if depth >= MAX_DEPTH:
            raise JSONError(f"nesting deeper than {MAX_DEPTH} levels", "depth")
        for k in value:
            if not isinstance(k, str):
                raise TypeError(f"object member names must be strings, not {type(k).__name__}")
        out.append("{")
        for i, k in enumerate(sorted(value, key=utf16_key)):
            if i:
                out.append(",")
            _jcs_string(k, out)
            out.append(":")
            _jcs(value[k], out, depth + 1)
        out.append("}")
    else:
        raise TypeError(f"cannot canonicalise a {type(value).__name__}")


def jcs(value: Any) -> bytes:
    """The RFC 8785 canonical JSON of value, as UTF-8 bytes. Floats are refused."""
    out: list = []
    _jcs(value, out, 0)
    return "".join(out).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Strict parsing


def _pairs_hook(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise JSONError(f"duplicate member name {_q(k)}", "duplicate")
        obj[k] = v
    return obj


def _parse_float(s: str):
    raise JSONError(
        f"floating-point number {s} is not allowed: signed data holds integers only "
        "(write it as an integer, e.g. per ten thousand, or as a string)",
        "float",
    )


def _parse_int(s: str) -> int:
    digits = s[1:] if s.startswith("-") else s
    if len(digits) > 16:
        raise JSONError(f"integer {s} is beyond ±(2^53 − 1)", "out_of_range")
    value = int(s)
    if s == "-0":
        raise JSONError("negative zero (-0) is not allowed: write 0", "negative_zero")
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise JSONError(f"integer {s} is beyond ±(2^53 − 1)", "out_of_range")
    return value


def _parse_constant(s: str):
    raise JSONError(f"not valid json: {s} is not a JSON value", "syntax")


def _check_tree(value: Any, depth: int) -> None:
    if isinstance(value, str):
        for ch in value:
            if 0xD800 <= ord(ch) <= 0xDFFF:
                raise JSONError(f"unpaired surrogate U+{ord(ch):04X} in a string", "surrogate")
    elif isinstance(value, list):
        if depth >= MAX_DEPTH:
            raise JSONError(f"nesting deeper than {MAX_DEPTH} levels", "depth")
        for item in value:
            _check_tree(item, depth + 1)
    elif isinstance(value, dict):
        if depth >= MAX_DEPTH:
            raise JSONError(f"nesting deeper than {MAX_DEPTH} levels", "depth")
        for k, v in value.items():
            _check_tree(k, depth)
            _check_tree(v, depth + 1)


def strict_parse(text) -> Any:
    """Parses one JSON text (str, or UTF-8 bytes) under the protocol's rules.

    Refused: anything that is not JSON (RFC 8259), invalid UTF-8, a byte order mark, numbers
    with a fraction or exponent, integers beyond ±(2^53 − 1), -0, duplicate member names
    (compared after unescaping), unpaired surrogates (escaped or raw), nesting deeper than 64.
    Raises JSONError.
    """
    if isinstance(text, (bytes, bytearray, memoryview)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as e:
            raise JSONError(f"not valid json: not UTF-8 (byte {e.start})", "syntax") from None
    if text.startswith("\ufeff"):
        raise JSONError("not valid json: starts with a byte order mark", "syntax")
    if text.strip(" \t\r\n") == "":
        raise JSONError("not valid json: the line is empty", "syntax")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_pairs_hook,
            parse_float=_parse_float,
            parse_int=_parse_int,
            parse_constant=_parse_constant,
        )
    except JSONError:
        raise
    except json.JSONDecodeError as e:
        raise JSONError(f"not valid json: {e.msg} (column {e.colno})", "syntax") from None
    except RecursionError:
        raise JSONError(f"nesting deeper than {MAX_DEPTH} levels", "depth") from None
    _check_tree(value, 0)
    return value


# ---------------------------------------------------------------------------------------------
# Calendar


def days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28
    return 30 if month in (4, 6, 9, 11) else 31


def is_real_date(year: int, month: int, day: int) -> bool:
    return year >= 1 and 1 <= month <= 12 and 1 <= day <= days_in_month(year, month)


def timestamp_error(name: str, value: Any) -> Optional[str]:
    if not isinstance(value, str):
        return f"{name} must be a timestamp string, not {kind_name(value)}"
    m = _TS_RE.fullmatch(value)
    if m is None:
        if _TS_NO_OFFSET_RE.fullmatch(value):
            return f"{name} {_q(value)} has no offset: end it with Z or ±HH:MM, e.g. {value}+08:00"
        return (
            f"{name} {_q(value)} is not a timestamp: write YYYY-MM-DDTHH:MM:SS followed by Z "
            "or a ±HH:MM offset, e.g. 2022-08-01T09:30:00+08:00"
        )
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    if m.group(7) != "Z" and (int(m.group(9)) > 23 or int(m.group(10)) > 59):
        return f"{name} {_q(value)} has an offset out of range (hours 00-23, minutes 00-59)"
    if not is_real_date(y, mo, d):
        return f"{name} {_q(value)}: {m.group(1)}-{m.group(2)}-{m.group(3)} is not a real date"
    if h > 23 or mi > 59 or s > 59:
        return f"{name} {_q(value)} is not a real time of day (hours 00-23, minutes and seconds 00-59)"
    return None


def date_error(name: str, value: Any) -> Optional[str]:
    if not isinstance(value, str):
        return f"{name} must be a date string, not {kind_name(value)}"
    m = _DATE_RE.fullmatch(value)
    if m is None:
        return f"{name} {_q(value)} is not a date: write YYYY-MM-DD, e.g. 2022-08-01"
    if not is_real_date(int(m.group(1)), int(m.group(2)), int(m.group(3))):
        return f"{name} {_q(value)} is not a real date"
    return None


def period_error(name: str, value: Any) -> Optional[str]:
    if not isinstance(value, str):
        return f"{name} must be a period string, not {kind_name(value)}"
    m = _PERIOD_RE.fullmatch(value)
    ok = m is not None and int(m.group(1)) >= 1 and (m.group(2) is None or 1 <= int(m.group(2)) <= 12)
    if not ok:
        return f"{name} {_q(value)} is not a period: write a month 2022-09, a half-year 2023-H1 or 2023-H2, or a year 2022"
    return None


# ---------------------------------------------------------------------------------------------
# The event catalog

KINDS = ("string", "text", "integer", "boolean", "enum", "timestamp", "date", "period", "string_list", "object")
ROLES = ("usage", "policy", "explanation")


@dataclass
class FieldSpec:
    name: str
    kind: str
    required: bool
    values: Optional[list] = None
    min: Optional[int] = None
    max_length: Optional[int] = None


@dataclass
class TypeSpec:
    name: str
    role: str
    summary: str
    fields: list = field(default_factory=list)  # FieldSpec, in catalog order

    def field(self, name: str) -> Optional[FieldSpec]:
        for f in self.fields:
            if f.name == name:
                return f
        return None


@dataclass
class Catalog:
    types: dict  # name -> TypeSpec, in catalog order
    kinds: dict  # kind -> description
    raw: dict


def load_catalog(path=None) -> Catalog:
    path = Path(path) if path else CATALOG_PATH
    raw = strict_parse(path.read_bytes())
    if not isinstance(raw, dict) or raw.get("format") != "courtsync-event-catalog/1" or raw.get("envelope_version") != 1:
        raise ProtocolError(f"{path}: not a courtsync-event-catalog/1 with envelope_version 1")
    types = {}
    for tname, t in raw["types"].items():
        if t.get("role") not in ROLES or not isinstance(t.get("fields"), dict):
            raise ProtocolError(f"{path}: type {tname} needs a role ({', '.join(ROLES)}) and fields")
        spec = TypeSpec(tname, t["role"], t.get("summary", ""))
        for fname, f in t["fields"].items():
            if f.get("kind") not in KINDS or not isinstance(f.get("required"), bool):
                raise ProtocolError(f"{path}: field {tname}.{fname} has an unknown kind or no required flag")
            if f["kind"] == "enum" and not f.get("values"):
                raise ProtocolError(f"{path}: enum field {tname}.{fname} has no values")
            spec.fields.append(
                FieldSpec(fname, f["kind"], f["required"], f.get("values"), f.get("min"), f.get("max_length"))
            )
        types[tname] = spec
    return Catalog(types, raw.get("kinds", {}), raw)


_CATALOG_CACHE: dict = {}


def default_catalog() -> Catalog:
    if "c" not in _CATALOG_CACHE:
        _CATALOG_CACHE["c"] = load_catalog()
    return _CATALOG_CACHE["c"]


def _chars_error(name: str, s: str, maximum: int, allow: str) -> Optional[str]:
    for ch in s:
        c = ord(ch)
        if (c < 0x20 or c == 0x7F) and ch not in allow:
            return f"{name} holds a control character (U+{c:04X}): remove it"
    if len(s) == 0:
        return f"{name} is empty: give a value"
    if len(s) > maximum:
        return f"{name} is longer than {maximum} characters"
    return None


def field_error(name: str, spec: FieldSpec, value: Any) -> Optional[str]:
    k = spec.kind
    if k == "string":
        if not isinstance(value, str):
            return f"{name} must be a string, not {kind_name(value)}"
        return _chars_error(name, value, spec.max_length or DEFAULT_STRING_MAX, "")
    if k == "text":
        if not isinstance(value, str):
            return f"{name} must be a string, not {kind_name(value)}"
        return _chars_error(name, value, TEXT_MAX, "\n\t")
    if k == "integer":
        if not is_int(value):
            return f"{name} must be an integer, not {kind_name(value)}"
        if spec.min is not None and value < spec.min:
            return f"{name} must be at least {spec.min}, not {value}"
        return None
    if k == "boolean":
        if not isinstance(value, bool):
            return f"{name} must be a boolean (true or false), not {kind_name(value)}"
        return None
    if k == "enum":
        if not isinstance(value, str) or value not in spec.values:
            return f"{name} must be one of {', '.join(spec.values)}"
        return None
    if k == "timestamp":
        return timestamp_error(name, value)
    if k == "date":
        return date_error(name, value)
    if k == "period":
        return period_error(name, value)
    if k == "string_list":
        if not isinstance(value, list) or not 1 <= len(value) <= LIST_MAX:
            return f"{name} must be a list of 1 to {LIST_MAX} strings"
        seen = set()
        for item in value:
            if not isinstance(item, str):
                return f"{name} must hold strings only, not {kind_name(item)}"
            err = _chars_error(f"{name} item", item, DEFAULT_STRING_MAX, "")
            if err:
                return err
            if item in seen:
                return f"{name} lists {_q(item)} twice"
            seen.add(item)
        return None
    if k == "object":
        if not isinstance(value, dict):
            return f"{name} must be an object, not {kind_name(value)}"
        return None
    raise ProtocolError(f"unknown kind {k}")


def data_error(type_spec: TypeSpec, data: dict) -> Optional[str]:
    for key in sorted(data, key=utf16_key):
        if type_spec.field(key) is None:
            names = ", ".join(f.name for f in type_spec.fields)
            return f"unknown field data.{key} for {type_spec.name} (its fields: {names})"
    for f in type_spec.fields:
        if f.required and f.name not in data:
            return f"missing field data.{f.name}, which {type_spec.name} requires"
    for f in type_spec.fields:
        if f.name in data:
            err = field_error(f"data.{f.name}", f, data[f.name])
            if err:
                return err
    return None


def _members_error(env: dict, allowed: tuple, required: tuple) -> Optional[str]:
    for key in sorted(env, key=utf16_key):
        if key not in allowed:
            return f"unknown envelope member {_q(key)} (allowed: {', '.join(allowed)})"
    for key in required:
        if key not in env:
            return f"missing envelope member {key}"
    return None


def _body_values_error(b: dict, catalog: Catalog) -> Optional[str]:
    if not (is_int(b["v"]) and b["v"] == ENVELOPE_VERSION):
        return f"v must be {ENVELOPE_VERSION}"
    if not (isinstance(b["node"], str) and _NODE_RE.fullmatch(b["node"])):
        return "node must be a 6-digit court code, e.g. \"410802\""
    if not (is_int(b["seq"]) and b["seq"] >= 1):
        return f"seq must be an integer of at least 1, not {json.dumps(b['seq'], ensure_ascii=False)}"
    if not (isinstance(b["id"], str) and _ID_RE.fullmatch(b["id"])):
        return "id must be 1 to 128 characters from A-Z a-z 0-9 . _ : @ / + - starting with a letter or digit"
    if not isinstance(b["type"], str):
        return f"type must be a string, not {kind_name(b['type'])}"
    type_spec = catalog.types.get(b["type"])
    if type_spec is None:
        return f"unknown event type {_q(b['type'])} (see protocol/event-catalog.json)"
    err = timestamp_error("at", b["at"])
    if err:
        return err
    if "dept" in b and not (isinstance(b["dept"], str) and _DEPT_RE.fullmatch(b["dept"])):
        what = "null" if b["dept"] is None else json.dumps(b["dept"], ensure_ascii=False)
        return f"dept must be absent or a department slug (a-z 0-9 -, up to 64), not {what}"
    if not isinstance(b["data"], dict):
        return f"data must be an object, not {kind_name(b['data'])}"
    err = data_error(type_spec, b["data"])
    if err:
        return err
    if not (isinstance(b["prev"], str) and _HEX64_RE.fullmatch(b["prev"])):
        return "prev must be 64 lowercase hex digits"
    return None


def body_error(body: Any, catalog: Optional[Catalog] = None) -> Optional[str]:
    """First problem of an event body (the signed members), or None."""
    catalog = catalog or default_catalog()
    if not isinstance(body, dict):
        return f"an event body must be a JSON object, not {kind_name(body)}"
    return _members_error(body, BODY_MEMBERS, REQUIRED_BODY_MEMBERS) or _body_values_error(body, catalog)


def envelope_error(env: Any, catalog: Optional[Catalog] = None) -> Optional[str]:
    """First problem of a whole envelope (body + hash + sig) taken on its own, or None.

    Does not recompute the hash or check the signature (see verify_log)."""
    catalog = catalog or default_catalog()
    if not isinstance(env, dict):
        return f"not an envelope: a line must hold a JSON object, not {kind_name(env)}"
    err = _members_error(env, ENVELOPE_MEMBERS, REQUIRED_BODY_MEMBERS + ("hash", "sig"))
    if err:
        return err
    err = _body_values_error(env, catalog)
    if err:
        return err
    if not (isinstance(env["hash"], str) and _HEX64_RE.fullmatch(env["hash"])):
        return "hash must be 64 lowercase hex digits"
    if not (isinstance(env["sig"], str) and _HEX128_RE.fullmatch(env["sig"])):
        return "sig must be 128 lowercase hex digits"
    return None


def role_error(type_spec: TypeSpec, node: str, data: Optional[dict] = None) -> Optional[str]:
    if type_spec.role == "policy" and node != POLICY_NODE:
        return f"policy event {type_spec.name} may only appear in the log of {POLICY_NODE}, not in the log of {node}"
    if type_spec.role == "explanation" and node != POLICY_NODE and isinstance(data, dict):
        unit = data.get("unit")
        if isinstance(unit, str) and unit != node:
            return f"explanation for another unit: node {node} may explain only for its own court (unit {node}), not for {unit!r}"
    return None


# ---------------------------------------------------------------------------------------------
# Hash, keys, signatures


def body_of(envelope: dict) -> dict:
    return {k: v for k, v in envelope.items() if k not in ("hash", "sig")}


def event_hash(body: dict) -> str:
    """Lowercase hex SHA-256 of the canonical body (members hash and sig, if present, left out)."""
    return hashlib.sha256(jcs(body_of(body))).hexdigest()


def sign_message(hash_hex: str) -> bytes:
    """The 51 bytes that are signed: b"courtsync/event/v1", 0x00, the 32 raw hash bytes."""
    if not _HEX64_RE.fullmatch(hash_hex):
        raise ValueError("hash must be 64 lowercase hex digits")
    return DOMAIN + b"\x00" + bytes.fromhex(hash_hex)


def _seed_bytes(seed) -> bytes:
    if isinstance(seed, str):
        seed = bytes.fromhex(seed)
    if len(seed) != 32:
        raise ValueError("an Ed25519 seed is 32 bytes")
    return bytes(seed)


def public_key_hex(seed) -> str:
    key = Ed25519PrivateKey.from_private_bytes(_seed_bytes(seed))
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def fingerprint(public_key_hex_: str) -> str:
    d = hashlib.sha256(bytes.fromhex(public_key_hex_)).hexdigest()[:16]
    return "-".join(d[i : i + 4] for i in range(0, 16, 4))


def parse_public_key(public_key_hex_: str) -> Ed25519PublicKey:
    if not isinstance(public_key_hex_, str) or not _HEX64_RE.fullmatch(public_key_hex_):
        raise ValueError("a public key is 64 lowercase hex digits (32 raw bytes)")
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex_))


def sign(seed, body: dict, catalog: Optional[Catalog] = None, validate: bool = True) -> dict:
    """The envelope of body: body plus hash and sig. Validates the body first unless told not to."""
    body = body_of(body)
    if validate:
        err = body_error(body, catalog)
        if err:
            raise ProtocolError(err)
    h = event_hash(body)
    sig = Ed25519PrivateKey.from_private_bytes(_seed_bytes(seed)).sign(sign_message(h)).hex()
    env = dict(body)
    env["hash"] = h
    env["sig"] = sig
    return env


def signature_ok(public_key: Ed25519PublicKey, hash_hex: str, sig_hex: str) -> bool:
    try:
        public_key.verify(bytes.fromhex(sig_hex), sign_message(hash_hex))
        return True
    except InvalidSignature:
        return False


def export_line(envelope: dict) -> str:
    """One line of the export form, without its terminating "\\n"."""
    return jcs(envelope).decode("utf-8")


# ---------------------------------------------------------------------------------------------
# Writing a log


class Writer:
    """Appends to one node's log in memory: assigns seq and prev, signs, enforces idempotent ids."""

    def __init__(self, seed, node: str, catalog: Optional[Catalog] = None):
        self.seed = _seed_bytes(seed)
        self.node = node
        self.catalog = catalog or default_catalog()
        self.events: list = []
        self.by_id: dict = {}

    @property
    def head_hash(self) -> str:
        return self.events[-1]["hash"] if self.events else GENESIS_PREV

    @staticmethod
    def content(type_: str, at: str, dept: Optional[str], data: dict) -> bytes:
        c = {"type": type_, "at": at, "data": data}
        if dept is not None:
            c["dept"] = dept
        return jcs(c)

    def append(self, id_: str, type_: str, at: str, data: dict, dept: Optional[str] = None) -> dict:
        existing = self.by_id.get(id_)
        if existing is not None:
            if self.content(existing["type"], existing["at"], existing.get("dept"), existing["data"]) == self.content(
                type_, at, dept, data
            ):
                return existing
            raise ProtocolError(
                f"id {_q(id_)} is already used at seq {existing['seq']} with different content: use a new id"
            )
        body = {"v": ENVELOPE_VERSION, "node": self.node, "seq": len(self.events) + 1, "id": id_, "type": type_, "at": at}
        if dept is not None:
            body["dept"] = dept
        body["data"] = data
        body["prev"] = self.head_hash
        err = body_error(body, self.catalog) or role_error(self.catalog.types[type_], self.node, body.get("data"))
        if err:
            raise ProtocolError(err)
        env = sign(self.seed, body, self.catalog, validate=False)
        self.events.append(env)
        self.by_id[id_] = env
        return env


# ---------------------------------------------------------------------------------------------
# Verifying a log


@dataclass
class VerifyResult:
    ok: bool
    reason: str = ""
    bad_seq: Optional[int] = None
    bad_line: Optional[int] = None
    count: int = 0
    head_seq: Optional[int] = None
    head_hash: Optional[str] = None

    @property
    def where(self) -> Optional[str]:
        if self.ok:
            return None
        return f"seq {self.bad_seq}" if self.bad_seq is not None else f"line {self.bad_line}"

    def __iter__(self):
        """Unpacks as (ok, where, reason): where is "seq S", "line L" or None."""
        return iter((self.ok, self.where, self.reason))

    def __str__(self) -> str:
        if self.ok:
            if self.head_hash is None:
                return f"ok: {self.count} events"
            return f"ok: {self.count} events, head seq {self.head_seq} hash {self.head_hash}"
        return f"{self.where}: {self.reason}"


def verify_log(
    lines: Iterable,
    public_key_hex: str,
    expected_node: str,
    start_seq: int = 1,
    start_prev: Optional[str] = None,
    catalog: Optional[Catalog] = None,
    key_history: Optional[list] = None,
) -> VerifyResult:
    """Verifies export lines (each without its "\\n") of one node's log, stopping at the first failure.

    start_seq: the seq the first line must carry (1 for a whole log).
    start_prev: for a suffix (start_seq > 1), the known hash of event start_seq − 1; when None
    the first line's prev is not checked. For start_seq 1 the first prev must be 64 zeros.
    key_history: the court's `keys` from its registry file (section 16.10), in key-log order; when
    given, public_key_hex is ignored and each signature is checked under the history rule of
    section 10 (keys used in order, none revoked).
    """
    catalog = catalog or default_catalog()
    history = key_history if key_history is not None else [{"public_key": public_key_hex, "status": "active"}]
    keys = [parse_public_key(k["public_key"]) for k in history]
    in_use = 0  # index of the latest key that has signed an event so far
    if not is_int(start_seq) or start_seq < 1:
        raise ValueError("start_seq must be an integer of at least 1")
    expected_seq = start_seq
    prev = GENESIS_PREV if start_seq == 1 else start_prev
    seen_ids: dict = {}
    count = 0
    for line_no, line in enumerate(lines, 1):
        try:
            env = strict_parse(line)
        except JSONError as e:
            return VerifyResult(False, e.message, None, line_no, count)
        seq = env.get("seq") if isinstance(env, dict) else None
        seq = seq if is_int(seq) else None

        def bad(reason: str) -> VerifyResult:
            return VerifyResult(False, reason, seq, line_no, count)

        err = envelope_error(env, catalog)
        if err:
            return bad(err)
        if env["node"] != expected_node:
            return bad(f"node {env['node']} is not the expected court {expected_node}")
        err = role_error(catalog.types[env["type"]], env["node"], env.get("data"))
        if err:
            return bad(err)
        if env["seq"] != expected_seq:
            return bad(f"expected seq {expected_seq}, got {env['seq']}")
        if prev is not None and env["prev"] != prev:
            if env["seq"] == 1:
                return bad("prev does not match the genesis value (64 zeros) for seq 1")
            return bad(f"prev does not match the hash of seq {env['seq'] - 1} ({prev})")
        h = event_hash(env)
        if h != env["hash"]:
            return bad(f"hash mismatch: the body hashes to {h}, the envelope says {env['hash']}")
        signer = next((i for i in [in_use] + list(range(len(keys))) if signature_ok(keys[i], h, env["sig"])), None)
        if signer is None:
            return bad(f"bad signature: it does not verify under the key of court {expected_node}")
        if history[signer].get("status") == "revoked":
            return bad(f"signed by key {fingerprint(history[signer]['public_key'])}, revoked for court {expected_node}"
                       f" ({history[signer].get('reason', 'no reason given')}): a revoked key vouches for no event")
        if signer < in_use:
            return bad(f"signed by key {fingerprint(history[signer]['public_key'])}, rotated out of court {expected_node}"
                       f" after an earlier event was signed by its successor {fingerprint(history[in_use]['public_key'])}")
        if err := key_window_error(history, signer, env["seq"], expected_node):
            return bad(err)
        in_use = signer
        if env["id"] in seen_ids:
            return bad(f"duplicate id {_q(env['id'])}: already used at seq {seen_ids[env['id']]}")
        seen_ids[env["id"]] = env["seq"]
        prev = h
        expected_seq += 1
        count += 1
    head_hash = prev
    return VerifyResult(True, "", None, None, count, expected_seq - 1, head_hash)


def key_window_error(history: list, signer: int, seq: int, court: str) -> Optional[str]:
    """Section 10, step 9c: the seqs a key of the history may sign. A key whose entry names
    `from_seq` (its rotation record bound it, section 16.10) signs no seq below it; a key signs no
    seq at or above the `from_seq` of any later key. Keys without `from_seq` (rotations recorded
    before the member existed) are bounded by the order rule (step 9b) alone."""
    key = history[signer]
    start = key.get("from_seq")
    if is_int(start) and seq < start:
        return (f"signed by key {fingerprint(key['public_key'])}, which signs court {court}'s events only from seq {start}"
                f" (its rotation record says so): seq {seq} must be signed by the key it replaced")
    for later in history[signer + 1:]:
        end = later.get("from_seq")
        if is_int(end) and seq >= end:
            return (f"signed by key {fingerprint(key['public_key'])}, rotated out of court {court} from seq {end}:"
                    f" events from seq {end} on are signed by its successor {fingerprint(later['public_key'])}")
    return None


def split_export(data: bytes):
    """Splits an export file into lines. Returns (lines, missing_final_newline)."""
    if not data:
        return [], False
    parts = data.split(b"\n")
    if parts[-1] == b"":
        return parts[:-1], False
    return parts, True


def verify_export(data: bytes, public_key_hex: str, expected_node: str, start_seq: int = 1,
                  start_prev: Optional[str] = None, catalog: Optional[Catalog] = None,
                  key_history: Optional[list] = None) -> VerifyResult:
    """verify_log over a whole export file's bytes, including the final-newline rule."""
    lines, unterminated = split_export(data)
    result = verify_log(lines, public_key_hex, expected_node, start_seq, start_prev, catalog, key_history)
    if result.ok and unterminated:
        return VerifyResult(False, "missing final newline: the file may be truncated", None, len(lines), result.count - 1)
    return result


# ---------------------------------------------------------------------------------------------
# Documentation helper: the catalog as Markdown tables (kept in protocol/README.md)


# ---------------------------------------------------------------------------------------------
# Two projection rules that decide what counts (plan/README.md §3): events dated in the future,
# and how role, department and court-wide rosters combine. Pure functions over plain values.

FUTURE_SKEW_SECONDS = 600
STAFF_ROLES = ("judge", "judge_assistant", "clerk", "other")


def timestamp_utc_seconds(text: str) -> int:
    """The instant of a valid protocol timestamp, in Unix seconds."""
    import calendar
    err = timestamp_error("at", text)
    if err:
        raise ProtocolError(err)
    m = _TS_RE.fullmatch(text)
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    t = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
    if m.group(7) != "Z":
        offset = int(m.group(9)) * 3600 + int(m.group(10)) * 60
        t -= offset if m.group(8) == "+" else -offset
    return t


def is_future_dated(at: str, recorded_at: int) -> bool:
    """An event whose `at` is more than FUTURE_SKEW_SECONDS after the second its store recorded
    it counts in no indicator (problem/future-dated); recorded_at 0 means unknown."""
    return recorded_at > 0 and timestamp_utc_seconds(at) > recorded_at + FUTURE_SKEW_SECONDS


def headcount(rosters: list, court: str, end: int, role: Optional[str] = None,
              intermediate: str = "410800") -> Optional[int]:
    """Staff on the roster of `court` (a court code) at instant `end`, or of one role.

    `rosters` are dicts {node, seq, at_utc, dept (or None), headcount, role (or None)}, already
    without future-dated ones. Rosters in force have at_utc < end; the latest wins by (at_utc, seq).
    A roster unit is the court as a whole (dept None) or one department. Per unit: a role's figure
    is its latest roster of that role; the whole figure is the later of the latest roster without
    role and the unit's role rosters (then their sum). A court keeping department rosters (for a
    role: of that role) is the sum of its departments, else its court-wide figure."""
    in_force = [r for r in rosters if r["node"] == court and r["at_utc"] < end]

    def latest(dept, r_role):
        rs = [r for r in in_force if r.get("dept") == dept and r.get("role") == r_role]
        return max(rs, key=lambda r: (r["at_utc"], r["seq"])) if rs else None

    def single(dept):
        if role is not None:
            r = latest(dept, role)
            return r["headcount"] if r else None
        whole = latest(dept, None)
        roles = [r for r in (latest(dept, x) for x in STAFF_ROLES) if r]
        if not roles:
            return whole["headcount"] if whole else None
        newest = max(roles, key=lambda r: (r["at_utc"], r["seq"]))
        if whole and (whole["at_utc"], whole["seq"]) > (newest["at_utc"], newest["seq"]):
            return whole["headcount"]
        return sum(r["headcount"] for r in roles)

    depts = sorted({r["dept"] for r in in_force if r.get("dept") and (role is None or r.get("role") == role)})
    if depts:
        parts = [v for v in (single(d) for d in depts) if v is not None]
        return sum(parts)
    return single(None)


def catalog_markdown(catalog: Optional[Catalog] = None) -> str:
    catalog = catalog or default_catalog()
    out = []
    for role, title in (("usage", "Usage events (any node)"), ("policy", "Policy events (only node 410800)"),
                        ("explanation", "Explanation events (any node)")):
        out.append(f"### {title}\n")
        for t in catalog.types.values():
            if t.role != role:
                continue
            out.append(f"#### `{t.name}` (role `{t.role}`)\n")
            out.append(f"{t.summary}\n")
            out.append("| field | kind | required | allowed values / limits |")
            out.append("|---|---|---|---|")
            for f in t.fields:
                if f.kind == "enum":
                    limits = ", ".join(f"`{v}`" for v in f.values)
                elif f.kind == "integer":
                    limits = f"≥ {f.min}" if f.min is not None else "±(2^53 − 1)"
                elif f.kind == "string":
                    limits = f"1–{f.max_length or DEFAULT_STRING_MAX} scalars, no control characters"
                elif f.kind == "text":
                    limits = f"1–{TEXT_MAX} scalars, \\n and \\t allowed"
                elif f.kind == "string_list":
                    limits = f"1–{LIST_MAX} distinct strings"
                elif f.kind == "timestamp":
                    limits = "YYYY-MM-DDTHH:MM:SS + Z or ±HH:MM"
                elif f.kind == "date":
                    limits = "YYYY-MM-DD, a real date"
                elif f.kind == "period":
                    limits = "YYYY-MM, YYYY-H1, YYYY-H2 or YYYY"
                elif f.kind == "object":
                    limits = "any JSON object (integers only)"
                else:
                    limits = "`true` or `false`"
                out.append(f"| `{f.name}` | {f.kind} | {'yes' if f.required else 'no'} | {limits} |")
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------------------------
# Section 16: the transparency log (RFC 9162 tree, C2SP tlog-checkpoint / signed-note / tlog-tiles)

import base64 as _b64
import struct as _struct


def tlog_entry(court: str, seq: int, event_hash_hex: str) -> bytes:
    """Entry of an accepted event: 0x01 ‖ court (6 ASCII) ‖ seq (uint64 BE) ‖ event hash (32)."""
    if not re.fullmatch(r"[0-9]{6}", court):
        raise ProtocolError(f"court {court!r} is not 6 digits")
    raw = bytes.fromhex(event_hash_hex)
    if len(raw) != 32:
        raise ProtocolError("event hash is not 32 bytes")
    return b"\x01" + court.encode("ascii") + _struct.pack(">Q", seq) + raw


def tlog_leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def tlog_node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def tlog_mth(leaves: list) -> bytes:
    """RFC 9162 §2.1.1 MTH over leaf hashes (already hashed)."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = _split(n)
    return tlog_node_hash(tlog_mth(leaves[:k]), tlog_mth(leaves[k:]))


def tlog_inclusion_proof(m: int, leaves: list) -> list:
    """RFC 9162 §2.1.3.1 PATH(m, D[n])."""
    n = len(leaves)
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return tlog_inclusion_proof(m, leaves[:k]) + [tlog_mth(leaves[k:])]
    return tlog_inclusion_proof(m - k, leaves[k:]) + [tlog_mth(leaves[:k])]


def tlog_consistency_proof(m: int, leaves: list) -> list:
    """RFC 9162 §2.1.4.1 PROOF(m, D[n])."""
    def sub(m, d, b):
        n = len(d)
        if m == n:
            return [] if b else [tlog_mth(d)]
        k = _split(n)
        if m <= k:
            return sub(m, d[:k], b) + [tlog_mth(d[k:])]
        return sub(m - k, d[k:], False) + [tlog_mth(d[:k])]
    if m == 0 or m == len(leaves):
        return []
    return sub(m, leaves, True)


def tlog_verify_inclusion(index: int, size: int, leaf: bytes, proof: list, root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = tlog_node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = tlog_node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def tlog_verify_consistency(m: int, n: int, first: bytes, second: bytes, proof: list) -> bool:
    """RFC 9162 §2.1.4.2."""
    if m > n:
        return False
    if m == n:
        return not proof and first == second
    if m == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if m & (m - 1) == 0:
        path.insert(0, first)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = tlog_node_hash(c, fr)
            sr = tlog_node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = tlog_node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first and sr == second and sn == 0


def note_key_id(name: str, public_key: bytes) -> bytes:
    """C2SP signed-note: first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)."""
    return hashlib.sha256(name.encode("utf-8") + b"\n\x01" + public_key).digest()[:4]


def note_verifier_key(name: str, public_key: bytes) -> str:
    encoded = _b64.b64encode(bytes([1]) + public_key).decode()
    return f"{name}+{note_key_id(name, public_key).hex()}+{encoded}"


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    return f"{origin}\n{size}\n{_b64.b64encode(root).decode()}\n"


def sign_note(seed, name: str, text: str) -> str:
    key = Ed25519PrivateKey.from_private_bytes(_seed_bytes(seed))
    pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    sig = key.sign(text.encode("utf-8"))
    return text + "\n" + f"\u2014 {name} " + _b64.b64encode(note_key_id(name, pub) + sig).decode() + "\n"


def verify_checkpoint(note: str, verifier_key: str) -> tuple:
    """(origin, size, root bytes) of a checkpoint signed by verifier_key; raises ProtocolError."""
    name, key_id_hex, key_b64 = verifier_key.split("+", 2)
    raw = _b64.b64decode(key_b64)
    if len(raw) != 33 or raw[0] != 1 or note_key_id(name, raw[1:]).hex() != key_id_hex:
        raise ProtocolError("not an Ed25519 signed-note verifier key")
    if "\n\n" not in note or not note.endswith("\n"):
        raise ProtocolError("not a signed note")
    cut = note.rindex("\n\n")
    text, sigs = note[: cut + 1], note[cut + 2:].splitlines()
    ok = False
    for line in sigs:
        if not line.startswith("\u2014 "):
            raise ProtocolError("signature line without em dash")
        sname, sig_b64 = line[2:].split(" ")
        blob = _b64.b64decode(sig_b64)
        if sname != name or blob[:4] != note_key_id(name, raw[1:]):
            continue
        try:
            Ed25519PublicKey.from_public_bytes(raw[1:]).verify(blob[4:], text.encode("utf-8"))
            ok = True
        except InvalidSignature:
            raise ProtocolError("checkpoint signature does not verify")
    if not ok:
        raise ProtocolError(f"no signature by {name}")
    lines = text.split("\n")
    if lines[0] != name:
        raise ProtocolError(f"checkpoint origin {lines[0]!r} is not {name!r}")
    root = _b64.b64decode(lines[2])
    if len(root) != 32 or str(int(lines[1])) != lines[1]:
        raise ProtocolError("malformed checkpoint")
    return lines[0], int(lines[1]), root


def tile_index(n: int) -> str:
    """C2SP tlog-tiles: N as x001/x234/067."""
    groups = []
    while True:
        groups.insert(0, f"{n % 1000:03d}")
        n //= 1000
        if n == 0:
            break
    return "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])


def tile_path(level, n: int, width: int) -> str:
    return f"tile/{'entries' if level is None else level}/{tile_index(n)}" + (f".p/{width}" if width < 256 else "")


def tile_data(level: int, n: int, size: int, leaves: list) -> bytes:
    """Hashes of tree level 8·level, nodes n·256 … (as many as are complete in a tree of size)."""
    step = 1 << (8 * level)
    count = min(256, (size // step) - n * 256)
    return b"".join(tlog_mth(leaves[(n * 256 + i) * step:(n * 256 + i + 1) * step]) for i in range(count))


def entry_bundle(entries: list) -> bytes:
    """tlog-tiles entry bundle: each entry prefixed by its uint16 big-endian length."""
    return b"".join(_struct.pack(">H", len(e)) + e for e in entries)


def entry_bundle_entries(data: bytes, width: int) -> list:
    """The entries of a tlog-tiles entry bundle (uint16 BE length, then the entry), exactly width of them."""
    out, i = [], 0
    while i < len(data):
        if i + 2 > len(data):
            raise ProtocolError("an entry bundle ends in the middle of a length")
        n = _struct.unpack(">H", data[i:i + 2])[0]
        if i + 2 + n > len(data):
            raise ProtocolError("an entry bundle ends in the middle of an entry")
        out.append(data[i + 2:i + 2 + n])
        i += 2 + n
    if len(out) != width:
        raise ProtocolError(f"an entry bundle holds {len(out)} entries, not {width}")
    return out


def mirror_tiles(size: int) -> list:
    """Every (level, n, width) of a tree of size leaves: hash tiles of each level, and (level None) entry bundles."""
    out, level = [], 0
    while size >> (8 * level) > 0:
        nodes = size >> (8 * level)
        for n in range((nodes - 1) // 256 + 1):
            width = min(256, nodes - n * 256)
            out.append((level, n, width))
            if level == 0:
                out.append((None, n, width))
        level += 1
    return out


def mirror_check(read, verifier_key: str, held=None) -> tuple:
    """Checks a mirror of a log's tiles (protocol §16.13) without trusting it: read(path) gives the
    bytes of `checkpoint`, `tile/...` (None when absent). The checkpoint must verify under
    verifier_key, the entry bundles must hash to its root, and every hash tile must be the tree's.
    held, an optional (size, root) a reader saw before, must be a prefix of it. Returns
    (origin, size, root, entries); raises ProtocolError naming what is wrong."""
    note = read("checkpoint")
    if note is None:
        raise ProtocolError("the mirror holds no checkpoint")
    origin, size, root = verify_checkpoint(note.decode("utf-8"), verifier_key)
    entries = []
    for level, n, width in mirror_tiles(size):
        if level is None:
            data = read(tile_path(None, n, width))
            if data is None:
                raise ProtocolError(f"the mirror lacks {tile_path(None, n, width)}")
            entries += entry_bundle_entries(data, width)
    leaves = [tlog_leaf_hash(e) for e in entries]
    if tlog_mth(leaves) != root:
        raise ProtocolError(f"the mirror's entries do not make the root of its checkpoint of size {size}")
    for level, n, width in mirror_tiles(size):
        if level is None:
            continue
        data = read(tile_path(level, n, width))
        if data is not None and data != tile_data(level, n, size, leaves):
            raise ProtocolError(f"the hash tile {tile_path(level, n, width)} does not match the tree its entries make")
    if held is not None:
        held_size, held_root = held
        if held_size > size or tlog_mth(leaves[:held_size]) != held_root:
            raise ProtocolError(f"the mirror's tree of {size} does not extend the one of {held_size} held")
    return origin, size, root, entries


def cosignature_key_id(name: str, public_key: bytes) -> bytes:
    """C2SP tlog-cosignature/v1: first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key)."""
    return hashlib.sha256(name.encode("utf-8") + b"\n\x04" + public_key).digest()[:4]


def cosign(seed, name: str, checkpoint_text: str, timestamp: int) -> str:
    """The cosignature line: — name base64(key id ‖ uint64 BE time ‖ Ed25519 over 'cosignature/v1\\ntime T\\n' ‖ text)."""
    key = Ed25519PrivateKey.from_private_bytes(_seed_bytes(seed))
    pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    sig = key.sign(f"cosignature/v1\ntime {timestamp}\n{checkpoint_text}".encode("utf-8"))
    blob = cosignature_key_id(name, pub) + _struct.pack(">Q", timestamp) + sig
    return f"\u2014 {name} " + _b64.b64encode(blob).decode()


def verify_cosignature(line: str, name: str, public_key: bytes, checkpoint_text: str):
    """The timestamp of a valid cosignature line by (name, key) over the checkpoint text, else None."""
    if not line.startswith("\u2014 "):
        return None
    fields = line[2:].split(" ")
    if len(fields) != 2 or fields[0] != name:
        return None
    blob = _b64.b64decode(fields[1])
    if len(blob) != 76 or blob[:4] != cosignature_key_id(name, public_key):
        return None
    (ts,) = _struct.unpack(">Q", blob[4:12])
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(blob[12:], f"cosignature/v1\ntime {ts}\n{checkpoint_text}".encode("utf-8"))
    except InvalidSignature:
        return None
    return ts


# ---------------------------------------------------------------------------------------------
# Section 16.10: the key log (entries of kind 0x02: enrollments, rotations, revocations)

ENROLL_REQUEST_DOMAIN = "courtsync/enroll-request/v1"
ROTATE_REQUEST_DOMAIN = "courtsync/rotate-request/v1"
KEY_LOG_DOMAIN = "courtsync/key-log/v1"
KEY_LOG_KIND = 0x02
HUB_COURT = "410800"


def document_message(domain: str, body: dict) -> bytes:
    """Section 15.1: ASCII(domain) ‖ 00 ‖ SHA-256(JCS(body))."""
    return domain.encode("ascii") + b"\x00" + hashlib.sha256(jcs(body)).digest()


def sign_document(seed, domain: str, body: dict) -> dict:
    key = Ed25519PrivateKey.from_private_bytes(_seed_bytes(seed))
    return {"domain": domain, "body": body, "signer": public_key_hex(seed),
            "signature": key.sign(document_message(domain, body)).hex()}


def document_signed_by(doc: Any, domain: str, public_key_hex_: str) -> bool:
    """Whether doc is a signed document of `domain` by exactly this key (section 15.1)."""
    if not isinstance(doc, dict) or doc.get("domain") != domain or doc.get("signer") != public_key_hex_:
        return False
    body, sig = doc.get("body"), doc.get("signature")
    if not isinstance(body, dict) or not isinstance(sig, str) or not re.fullmatch(r"[0-9a-f]{128}", sig):
        return False
    try:
        parse_public_key(public_key_hex_).verify(bytes.fromhex(sig), document_message(domain, body))
        return True
    except (InvalidSignature, ValueError, ProtocolError):
        return False


def enroll_request_error(req: Any, court: str, public_key_hex_: str) -> Optional[str]:
    """Section 15.1: the request is self-signed by its node key (proof of possession), carries a
    valid tls_proof, and names this court and key."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    if not isinstance(req, dict) or not isinstance(req.get("body"), dict):
        return "the enrollment request is not a signed document"
    body = req["body"]
    if body.get("format") != "courtsync-enroll-request/1" or body.get("court") != court or body.get("node_public_key") != public_key_hex_:
        return f"the enrollment request is not court {court}'s request for key {public_key_hex_[:16]}…"
    if not document_signed_by(req, ENROLL_REQUEST_DOMAIN, public_key_hex_):
        return "the enrollment request is not signed by the key it names (no proof of possession)"
    try:
        tls_key = serialization.load_pem_public_key(body["tls_public_key_pem"].encode())
        tls_key.verify(bytes.fromhex(req["tls_proof"]), document_message(ENROLL_REQUEST_DOMAIN, body), ec.ECDSA(hashes.SHA256()))
    except Exception:  # noqa: BLE001 - any failure means the proof does not hold
        return "the enrollment request's tls_proof does not verify"
    return None


def keylog_entry(record: dict) -> bytes:
    """The tree entry of a key-log record: 0x02 ‖ JCS(record)."""
    return bytes([KEY_LOG_KIND]) + jcs(record)


def keylog_record(entry: bytes) -> dict:
    if not entry or entry[0] != KEY_LOG_KIND:
        raise ProtocolError("not a key-log entry (kind 0x02)")
    return strict_parse(entry[1:].decode("utf-8"))


class KeyLog:
    """Replays key-log records in tree order (section 16.10) and keeps the registry they make.

    `apply(record)` returns None or the first rule the record breaks; a broken record changes nothing.
    """

    def __init__(self):
        self.authority: Optional[str] = None
        self.courts: dict = {}      # court -> {"public_key", "status", "n", "court_name"}
        self.retired: dict = {}     # public key -> why it may never be admitted again
        self.history: dict = {}     # court -> [{"public_key", "fingerprint", "from_record", "status"[, "reason"]}]
        self.count = 0

    def _add_key(self, court: str, key: str, n: int, from_seq: Optional[int] = None) -> None:
        for k in self.history.setdefault(court, []):
            if k["status"] == "active":
                k["status"] = "rotated"
        held = {"public_key": key, "fingerprint": fingerprint(key), "from_record": n, "status": "active"}
        if from_seq is not None:
            held["from_seq"] = from_seq
        self.history[court].append(held)

    def _admissible(self, key: str) -> Optional[str]:
        if key in self.retired:
            return f"key {fingerprint(key)} was {self.retired[key]}: it is never admitted again"
        if any(c["public_key"] == key and c["status"] == "active" for c in self.courts.values()):
            return f"key {fingerprint(key)} is already another court's active key"
        return None

    def apply(self, record: Any) -> Optional[str]:
        if not isinstance(record, dict) or record.get("domain") != KEY_LOG_DOMAIN or not isinstance(record.get("body"), dict):
            return "not a key-log record (a signed document of domain courtsync/key-log/v1)"
        b = record["body"]
        action, court, key = b.get("action"), b.get("court"), b.get("public_key")
        if b.get("format") != "courtsync-key-log/1" or b.get("n") != self.count + 1:
            return f"record {self.count + 1}: format must be courtsync-key-log/1 and n must be {self.count + 1}"
        if not isinstance(court, str) or not re.fullmatch(r"[0-9]{6}", court) or not isinstance(key, str) or not re.fullmatch(r"[0-9a-f]{64}", key):
            return "a key-log record needs a 6-digit court and a 64-hex public_key"
        if timestamp_error("at", b.get("at")):
            return "a key-log record needs `at`, an RFC 3339 time"
        if self.authority is None:
            if action != "enroll" or court != HUB_COURT or not document_signed_by(record, KEY_LOG_DOMAIN, key):
                return "the first key-log record must enroll 410800, signed by its own key"
            if not isinstance(b.get("checkpoint_verifier_key"), str):
                return "410800's enrollment must name the checkpoint_verifier_key"
            self.authority = key
            self.courts[court] = {"public_key": key, "status": "active", "n": b["n"], "court_name": b.get("court_name", "")}
            self._add_key(court, key, b["n"])
            self.count += 1
            return None
        if not document_signed_by(record, KEY_LOG_DOMAIN, self.authority):
            return f"record {b['n']} is not countersigned by 410800's key"
        current = self.courts.get(court)
        if court == HUB_COURT and action != "rotate":
            return "410800 is enrolled once, by the first record; its key changes only by a rotation signed by its old key"
        if action == "enroll":
            if current and current["status"] == "active":
                return f"court {court} is already enrolled with key {fingerprint(current['public_key'])}: a new key needs a rotation signed by the old key, or a revocation first"
            if err := self._admissible(key):
                return err
            if b.get("legacy") is True:
                if "request" in b:
                    return "a legacy enrollment carries no request"
            elif err := enroll_request_error(b.get("request"), court, key):
                return err
        elif action == "rotate":
            old = b.get("old_public_key")
            if not current or current["status"] != "active" or current["public_key"] != old:
                return f"court {court} has no active key {str(old)[:16]}… to rotate from"
            if err := self._admissible(key):
                return err
            rot = b.get("rotation")
            if not document_signed_by(rot, ROTATE_REQUEST_DOMAIN, old):
                return "the rotation is not signed by the court's old key"
            rb = rot["body"]
            if rb.get("format") != "courtsync-rotate-request/1" or rb.get("court") != court or rb.get("old_public_key") != old or rb.get("new_public_key") != key:
                return "the rotation request does not name this court, old key and new key"
            if err := enroll_request_error(rb.get("request"), court, key):
                return err
            from_seq = b.get("from_seq")
            if from_seq != rb.get("from_seq"):
                return "the record's from_seq is not the one the court's rotation request names"
            if from_seq is not None and (not is_int(from_seq) or from_seq < 1):
                return "from_seq must be an integer of at least 1 (the seq from which the new key signs)"
            self.retired[old] = f"rotated out of {court}"
            if court == HUB_COURT:
                # 410800's own rotation, signed by its old key: the new key signs every later record.
                self.authority = key
        elif action == "revoke":
            if not current or current["status"] != "active" or current["public_key"] != key:
                return f"court {court} has no active key {key[:16]}… to revoke"
            if not isinstance(b.get("reason"), str) or not b["reason"].strip():
                return "a revocation must give its reason"
            self.retired[key] = f"revoked for {court}"
            self.courts[court] = dict(current, status="revoked", n=b["n"])
            self.history[court][-1].update(status="revoked", reason=b["reason"])
            self.count += 1
            return None
        else:
            return f"unknown key-log action {action!r}"
        self.courts[court] = {"public_key": key, "status": "active", "n": b["n"], "court_name": b.get("court_name", "")}
        self._add_key(court, key, b["n"], b.get("from_seq") if action == "rotate" else None)
        self.count += 1
        return None

    def registry(self) -> dict:
        """{court: registry file object} as `nodes/<court>.json` holds it (section 16.10)."""
        return {c: {"court": c, "court_name": v["court_name"], "public_key": v["public_key"],
                    "fingerprint": fingerprint(v["public_key"]), "status": v["status"], "key_log": v["n"],
                    "keys": [dict(k) for k in self.history[c]]}
                for c, v in sorted(self.courts.items())}


# ---------------------------------------------------------------------------------------------
# Section 16.11: a standalone witness (C2SP tlog-witness add-checkpoint)

def witness_add_checkpoint(held, body: bytes, verifier_keys: list, seed, name: str, now: int):
    """One add-checkpoint request. `held` is (size, root) last cosigned for the origin, or None.

    Returns (status, content_type, answer text, new held or None when nothing is recorded).
    """
    text_plain = "text/plain; charset=utf-8"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return 400, text_plain, "not UTF-8\n", None
    if "\n\n" not in text:
        return 400, text_plain, "no empty line before the checkpoint\n", None
    head, note = text.split("\n\n", 1)
    lines = head.split("\n")
    m = re.fullmatch(r"old (0|[1-9][0-9]*)", lines[0])
    if not m:
        return 400, text_plain, "first line must be `old <size>`\n", None
    old = int(m.group(1))
    try:
        proof = [_b64.b64decode(x, validate=True) for x in lines[1:]]
    except ValueError:
        return 400, text_plain, "a proof line is not base64\n", None
    if len(proof) > 63 or any(len(p) != 32 for p in proof) or (old == 0 and proof):
        return 400, text_plain, "bad consistency proof lines\n", None
    origin = note.split("\n", 1)[0]
    keys = [k for k in verifier_keys if k.split("+", 1)[0] == origin]
    if not keys:
        return 404, text_plain, "unknown log\n", None
    checkpoint = None
    for k in keys:
        try:
            checkpoint = verify_checkpoint(note, k)
            break
        except (ProtocolError, ValueError):
            continue
    if checkpoint is None:
        return 403, text_plain, "no valid signature by a trusted key\n", None
    _, size, root = checkpoint
    if old > size:
        return 400, text_plain, "old size larger than the checkpoint\n", None
    held_size = held[0] if held else 0
    if old != held_size:
        return 409, "text/x.tlog.size", f"{held_size}\n", None
    if held and old == size and held[1] != root:
        return 409, "text/x.tlog.size", f"{held_size}\n", None
    if held and 0 < old < size and not tlog_verify_consistency(old, size, held[1], root, proof):
        return 422, text_plain, "consistency proof does not verify\n", None
    cut = note.rindex("\n\n")
    return 200, text_plain, cosign(seed, name, note[: cut + 1], now) + "\n", (size, root)

# --- Section 16.12: the log at a checkpoint, first publication, retroactivity, late entries ---

LATE_AFTER_DAYS = 30


def tlog_log_at(entries: list, size: int) -> dict:
    """The log at checkpoint `size`: for each court, the largest seq whose leaf index is below size.

    `entries` are (court, seq) in leaf order (the tree's entries, section 16.2)."""
    out = {}
    for court, seq in entries[:size]:
        out[court] = max(out.get(court, 0), seq)
    return out


def tlog_first_publication(leaf: int, checkpoints: list, up_to: Optional[int] = None, quorum: int = 3):
    """When leaf `leaf` was first published (section 16.12), as (unix seconds, witnessed) or None.

    `checkpoints` are dicts {size, hub_time, cosignatures: {witness name: time}}: the hub's time of
    signing and the `time` of each witness's cosignature (section 16.8). Only sizes ≤ up_to count
    when given. With witnesses: each witness's earliest cosignature of a covering checkpoint, and
    of those the quorum-th smallest (the largest, when fewer witnesses cosigned), so that one
    witness alone cannot date an event early."""
    covering = [c for c in checkpoints if c["size"] > leaf and (up_to is None or c["size"] <= up_to)]
    if not covering:
        return None
    earliest = {}
    for c in covering:
        for name, t in c.get("cosignatures", {}).items():
            earliest[name] = min(earliest.get(name, t), t)
    if earliest:
        times = sorted(earliest.values())
        return (times[min(max(quorum, 1), len(times)) - 1], True)
    return (min(c["hub_time"] for c in covering), False)


def beijing_day(unix_seconds: int) -> _dt.date:
    """The calendar day in UTC+08:00 of a Unix time."""
    return (_dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=unix_seconds + 8 * 3600)).date()


def retroactive_policy(effective: str, published_seconds: int) -> int:
    """Days a policy event was in force before its first publication: > 0 means retroactive."""
    return (beijing_day(published_seconds) - _dt.date.fromisoformat(effective)).days


def figure_changed(period_last_day: str, source_is_event: bool, published_seconds: int, has_data: bool = True) -> bool:
    """A figure judged (met or missed: `has_data` false for one without data, not assessed or a data
    problem) with a retroactive event's threshold or review limit on its period's last day was
    changed by it when that day precedes the day of first publication."""
    return has_data and source_is_event and _dt.date.fromisoformat(period_last_day) < beijing_day(published_seconds)


def is_late(event_unix_seconds: int, published_seconds: int, days: int = LATE_AFTER_DAYS) -> bool:
    """A usage event is late when first published more than `days` days after its time."""
    return published_seconds - event_unix_seconds > days * 86400


# The hub's refusals and push rules (README sections 15.3, 15.4)

# reason -> (HTTP status, members it requires, members it may add)
REFUSALS = {
    "bad-request": (400, (), ()),
    "malformed": (400, (), ("line", "seq")),
    "bad-query": (400, (), ()),
    "unauthorized": (401, (), ()),
    "not-enrolled": (403, (), ()),
    "revoked": (403, (), ()),
    "forbidden": (403, (), ()),
    "wrong-court": (403, (), ()),
    "not-found": (404, (), ()),
    "request-timeout": (408, (), ()),
    "gap": (409, ("cursor",), ()),
    "fork": (409, ("cursor",), ("seq", "held")),
    "not-expected": (409, ("seq", "expected"), ()),
    "too-large": (413, (), ("limit",)),
    "invalid": (422, ("seq",), ()),
    "busy": (503, (), ("retry_after",)),
}

# A node's reported head is clamped to at most this many events past what the hub holds.
MAX_REPORTED_BACKLOG = 1_000_000


def refusal_error(status: int, body: Any) -> Optional[str]:
    """Why a hub answer is not a well-formed refusal of section 15.3 (None when it is)."""
    if not isinstance(body, dict):
        return "a refusal is a JSON object"
    reason = body.get("reason")
    if not isinstance(body.get("error"), str) or not isinstance(reason, str):
        return "a refusal has the string members error and reason"
    if reason not in REFUSALS:
        return f"unknown reason {_q(reason)}: treat it as a plain failure with status {status}"
    want, required, optional = REFUSALS[reason]
    if status != want:
        return f"reason {_q(reason)} comes with status {want}, not {status}"
    for name in required:
        if name not in body:
            return f"reason {_q(reason)} requires member {_q(name)}"
    for name in body:
        if name not in ("error", "reason") + required + optional:
            return f"member {_q(name)} does not belong to reason {_q(reason)}"
    for name in ("cursor", "seq", "line", "limit", "retry_after"):
        if name in body and not (is_int(body[name]) and body[name] >= 0):
            return f"member {_q(name)} must be a non-negative integer"
    for name in ("held", "expected"):
        if name in body and not (isinstance(body[name], str) and len(body[name]) == 64 and all(c in "0123456789abcdef" for c in body[name])):
            return f"member {_q(name)} must be 64 lowercase hex digits"
    return None


def owed_events(tree_entries: list, held_heads: dict) -> dict:
    """After a recovery (section 16.13): court -> (from_seq, to_seq) it owes, i.e. the seqs after the
    store's head of that court (held_heads, court -> seq) up to its largest seq in the tree."""
    tree_heads = {}
    for entry in tree_entries:
        if entry[:1] == b"\x01":
            court, seq = entry[1:7].decode("ascii"), _struct.unpack(">Q", entry[7:15])[0]
            tree_heads[court] = max(tree_heads.get(court, 0), seq)
    return {c: (held_heads.get(c, 0) + 1, t) for c, t in sorted(tree_heads.items()) if t > held_heads.get(c, 0)}


def expected_entry_answer(tree_entries: list, held_heads: dict, court: str, seq: int, event_hash_hex: str) -> str:
    """The expected-entry rule (section 16.13) for a pushed event (court, seq, hash) beyond the hub's
    head: "same-leaf" (an owed seq whose entry has this hash: stored, no new leaf), "not-expected"
    (an owed seq whose entry names another hash: 409, nothing stored) or "new-leaf" (beyond the tree)."""
    lo_hi = owed_events(tree_entries, held_heads).get(court)
    if lo_hi is None or not (lo_hi[0] <= seq <= lo_hi[1]):
        return "new-leaf"
    mine = tlog_entry(court, seq, event_hash_hex)
    held = next(e for e in tree_entries if e[:15] == mine[:15])
    return "same-leaf" if held == mine else "not-expected"


def first_bad_signature(public_key: Ed25519PublicKey, envelopes: list, window: int = 256) -> tuple:
    """(seq of the first envelope, in order, whose signature does not verify, or None; how many
    were checked): signatures in windows, stopping after the first window holding a bad one."""
    for start in range(0, len(envelopes), max(1, window)):
        chunk = envelopes[start:start + max(1, window)]
        for env in chunk:
            if not signature_ok(public_key, env["hash"], env["sig"]):
                return env["seq"], start + len(chunk)
    return None, len(envelopes)


def export_line_from_body(canonical_body: bytes, hash_hex: str, sig_hex: str) -> Optional[str]:
    """The export line (section 9) of the event whose canonical body (RFC 8785 bytes, without
    hash and sig), hash and signature these are, without parsing the body: `hash` goes before the
    last `,"id":"` and `sig` before the last `,"type":"`. Inside a canonical string every `"` is
    escaped, so those byte strings occur only as member names, and the last ones are the body's
    own (nothing after `id` is an object). None when the body does not have that shape."""
    t = canonical_body.rfind(b',"type":"')
    i = canonical_body.rfind(b',"id":"', 0, max(t, 0))
    if not canonical_body.startswith(b"{") or t < 0 or i < 0 or len(hash_hex) != 64 or len(sig_hex) != 128:
        return None
    line = (canonical_body[:i] + b',"hash":"' + hash_hex.encode() + b'"' + canonical_body[i:t]
            + b',"sig":"' + sig_hex.encode() + b'"' + canonical_body[t:])
    return line.decode("utf-8")


def waits_for(batch: tuple, in_flight: list) -> Optional[tuple]:
    """Section 15.4, pushes in flight: the batch (first, last) of one court's log waits before it
    is committed for a batch of the same court still in flight that starts before it and reaches
    its first seq - 1; the first such (first, last), or None. (If that one is refused, the hub's
    head does not reach the waiting batch, which is then refused as a gap.)"""
    first = batch[0]
    for other in in_flight:
        if other is not batch and other[0] < first and other[1] >= first - 1:
            return other
    return None


def plausible_node_head(reported: Optional[int], hub_head: int) -> int:
    """The node head used for the lag metric: never below the hub's head after the batch,
    never more than MAX_REPORTED_BACKLOG past it."""
    if reported is None:
        return hub_head
    return max(hub_head, min(reported, hub_head + MAX_REPORTED_BACKLOG))
