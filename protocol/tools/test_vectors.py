#!/usr/bin/env python3
"""Self-check of the Python protocol implementation and of protocol/vectors/.

Plain Python (python3 protocol/tools/test_vectors.py) or pytest. The last line printed is
"N passed, M failed"; the exit status is 1 when anything failed.
"""

from __future__ import annotations

import hashlib
import struct as _struct
import json
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))
import courtsync_protocol as cp  # noqa: E402
import make_vectors as mv  # noqa: E402

VECTORS = cp.PROTOCOL_DIR / "vectors"


def load(name: str):
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def expect_error(fn, contains: str, cls=cp.ProtocolError):
    try:
        fn()
    except cls as e:
        assert contains in e.message, f"{e.message!r} does not contain {contains!r}"
        return e
    raise AssertionError(f"expected a refusal containing {contains!r}")


# --- the files are what the generator makes ---------------------------------------------------


def test_files_are_up_to_date():
    for path, data in mv.build_all().items():
        assert path.exists(), f"{path} is missing: run make_vectors.py"
        assert path.read_bytes() == data, f"{path} is out of date: run make_vectors.py"


def test_vector_files_are_sorted_two_space_json():
    for name in ("jcs.json", "events.json", "invalid.json"):
        raw = (VECTORS / name).read_bytes()
        obj = json.loads(raw.decode("utf-8"))
        assert raw == (json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


# --- canonical JSON ----------------------------------------------------------------------------


def test_jcs_valid_cases():
    doc = load("jcs.json")
    assert len(doc["cases"]) >= 12
    for c in doc["cases"]:
        value = cp.strict_parse(c["input"])
        out = cp.jcs(value)
        assert out.decode("utf-8") == c["canonical"], c["name"]
        assert out.hex() == c["canonical_hex"], c["name"]
        # canonical text is a fixed point
        assert cp.jcs(cp.strict_parse(out)) == out, c["name"]


def test_jcs_invalid_cases():
    doc = load("jcs.json")
    assert len(doc["invalid"]) >= 5
    assert {c["reason"] for c in doc["invalid"]} == {"float", "duplicate", "out_of_range", "surrogate"}
    for c in doc["invalid"]:
        try:
            cp.strict_parse(c["input"])
        except cp.JSONError as e:
            assert e.code == c["reason"], f"{c['name']}: {e.code} != {c['reason']}"
        else:
            raise AssertionError(f"{c['name']} accepted")


def test_jcs_utf16_order_differs_from_code_point_order():
    keys = ["\ue000", "\U0001F600"]
    assert sorted(keys) == ["\ue000", "\U0001F600"]
    assert cp.jcs({k: 0 for k in keys}).decode() == '{"\U0001F600":0,"\ue000":0}'


def test_jcs_refuses_floats_and_handles_bools():
    expect_error(lambda: cp.jcs({"a": 1.0}), "floating-point")
    expect_error(lambda: cp.jcs(2**53), "beyond")
    assert cp.jcs([True, False, 1, 0, None]) == b"[true,false,1,0,null]"
    expect_error(lambda: cp.jcs("\ud800"), "surrogate")


def test_strict_parse_refusals():
    for text, code in [("-0", "negative_zero"), ("[01]", "syntax"), ("NaN", "syntax"), ("", "syntax"),
                       ("\ufeff{}", "syntax"), ('{"a":1,}', "syntax"), ("[1] x", "syntax"),
                       ("[" * 65 + "]" * 65, "depth"), (b'"\xed\xa0\x80"', "syntax"), (b'"\xff"', "syntax"),
                       ('"a\tb"', "syntax"), ("1E400", "float"), ("-1.5e-3", "float")]:
        try:
            cp.strict_parse(text)
        except cp.JSONError as e:
            assert e.code == code, f"{text!r}: {e.code} != {code}"
        else:
            raise AssertionError(f"{text!r} accepted")
    assert cp.strict_parse("[" * 64 + "]" * 64) is not None
    assert cp.strict_parse("-9007199254740991") == -(2**53 - 1)


# --- events ------------------------------------------------------------------------------------


def check_chain(doc_keys: dict, entries: list, node: str):
    seed = doc_keys["seed_hex"]
    assert cp.public_key_hex(seed) == doc_keys["public_key_hex"]
    key = cp.parse_public_key(doc_keys["public_key_hex"])
    prev = cp.GENESIS_PREV
    for i, e in enumerate(entries, 1):
        body = e["body"]
        assert body["seq"] == i and body["node"] == node and body["prev"] == prev, e["name"]
        assert cp.body_error(body) is None, e["name"]
        canonical = cp.jcs(body)
        assert canonical.hex() == e["canonical_hex"], e["name"]
        assert hashlib.sha256(canonical).hexdigest() == e["hash"] == cp.event_hash(body), e["name"]
        msg = bytes.fromhex(e["message_hex"])
        assert len(msg) == 51 and msg[:19] == b"courtsync/event/v1\x00" and msg[19:].hex() == e["hash"]
        assert cp.signature_ok(key, e["hash"], e["sig"]), e["name"]
        env = cp.sign(seed, body)
        assert env["sig"] == e["sig"], "Ed25519 (RFC 8032) signatures are deterministic"
        assert cp.export_line(env) == e["line"], e["name"]
        assert cp.strict_parse(e["line"]) == env
        prev = e["hash"]


def test_events_chain_410802():
    doc = load("events.json")
    assert doc["seed_hex"] == bytes(range(32)).hex() and doc["node"] == "410802"
    assert doc["domain"] == "courtsync/event/v1"
    assert doc["fingerprint"] == cp.fingerprint(doc["public_key_hex"])
    check_chain(doc, doc["events"], "410802")
    r = cp.verify_log([e["line"] for e in doc["events"]], doc["public_key_hex"], "410802")
    assert r.ok and r.count == len(doc["events"]) and r.head_hash == doc["events"][-1]["hash"], str(r)


def test_policy_chain_410800():
    doc = load("events.json")["policy_events"]
    assert doc["seed_hex"] == bytes(range(0x20, 0x40)).hex() and doc["node"] == "410800"
    check_chain(doc, doc["events"], "410800")
    r = cp.verify_log([e["line"] for e in doc["events"]], doc["public_key_hex"], "410800")
    assert r.ok, str(r)


def test_every_type_is_covered():
    cat = cp.default_catalog()
    doc = load("events.json")
    grassroots = {e["body"]["type"] for e in doc["events"]}
    policy = {e["body"]["type"] for e in doc["policy_events"]["events"]}
    want_grassroots = {t.name for t in cat.types.values() if t.role in ("usage", "explanation")}
    assert want_grassroots <= grassroots, want_grassroots - grassroots
    assert {t.name for t in cat.types.values()} <= grassroots | policy
    depts = [e["body"].get("dept") for e in doc["events"]]
    assert None in depts and any(depts)
    ats = [e["body"]["at"] for e in doc["events"]]
    assert any(a.endswith("Z") for a in ats) and any(a.endswith("+08:00") for a in ats)


def test_suffix_verification():
    doc = load("events.json")
    lines = [e["line"] for e in doc["events"]]
    r = cp.verify_log(lines[4:], doc["public_key_hex"], "410802", start_seq=5)
    assert r.ok and r.count == len(lines) - 4, str(r)
    r = cp.verify_log(lines[4:], doc["public_key_hex"], "410802", start_seq=5, start_prev=doc["events"][3]["hash"])
    assert r.ok, str(r)
    r = cp.verify_log(lines[4:], doc["public_key_hex"], "410802", start_seq=5, start_prev=doc["events"][2]["hash"])
    assert not r.ok and r.bad_seq == 5 and "prev does not match" in r.reason
    r = cp.verify_log(lines[4:], doc["public_key_hex"], "410802", start_seq=4)
    assert not r.ok and r.bad_seq == 5 and "expected seq" in r.reason


def test_invalid_logs():
    doc = load("invalid.json")
    phrases = [c["reason_contains"] for c in doc["cases"]]
    for want in ["unknown event type", "unknown field", "missing field", "must be a boolean", "floating-point",
                 "offset", "not a real date", "dept must be", "unknown envelope member", "hash mismatch",
                 "bad signature", "expected seq", "prev does not match", "duplicate member", "not valid json",
                 "policy event", "node"]:
        assert want in phrases, want
    for c in doc["cases"]:
        r = cp.verify_log(c["lines"], c["public_key_hex"], c["court"])
        assert not r.ok, c["name"]
        assert (r.bad_seq, r.bad_line) == (c["bad_seq"], c["bad_line"]), f"{c['name']}: {r}"
        assert c["reason_contains"] in r.reason, f"{c['name']}: {r.reason}"
        # everything before the faulty line verifies
        ok = cp.verify_log(c["lines"][: c["bad_line"] - 1], c["public_key_hex"], c["court"])
        assert ok.ok, f"{c['name']}: prefix: {ok}"


def test_fork_and_policy_role_helpers():
    cat = cp.default_catalog()
    assert cp.role_error(cat.types["threshold.set"], "410800") is None
    assert "policy event" in cp.role_error(cat.types["threshold.set"], "410802")
    assert cp.role_error(cat.types["explanation.filed"], "410802") is None
    assert cp.role_error(cat.types["explanation.filed"], "410802", {"unit": "410802"}) is None
    assert "another unit" in cp.role_error(cat.types["explanation.filed"], "410802", {"unit": "410803"})
    assert "another unit" in cp.role_error(cat.types["explanation.filed"], "410802", {"unit": "jiefang"})
    assert cp.role_error(cat.types["explanation.filed"], "410800", {"unit": "case-filing"}) is None


# --- field rules -------------------------------------------------------------------------------


def test_field_kinds():
    f = cp.FieldSpec
    ok = [
        (f("x", "timestamp", True), "2024-02-29T23:59:59-00:00"),
        (f("x", "timestamp", True), "2022-08-01T00:00:00+23:59"),
        (f("x", "date", True), "2000-02-29"),
        (f("x", "period", True), "2022-12"), (f("x", "period", True), "2022-H2"), (f("x", "period", True), "2022"),
        (f("x", "string", True), "a" * 256), (f("x", "string", True, max_length=3), "中文字"),
        (f("x", "text", True), "a\n\tb"), (f("x", "integer", True, min=0), 0),
        (f("x", "string_list", True), ["a", "b"]), (f("x", "object", True), {}),
    ]
    for spec, value in ok:
        assert cp.field_error("x", spec, value) is None, (spec, value)
    bad = [
        (f("x", "timestamp", True), "2022-08-01T09:30:00", "offset"),
        (f("x", "timestamp", True), "2022-08-01T09:30:00.5+08:00", "offset"),
        (f("x", "timestamp", True), "2022-08-01t09:30:00z", "offset"),
        (f("x", "timestamp", True), "2022-08-01T09:30:00+24:00", "offset out of range"),
        (f("x", "timestamp", True), "2022-08-01T24:00:00Z", "real time"),
        (f("x", "timestamp", True), "2022-08-01T23:59:60Z", "real time"),
        (f("x", "timestamp", True), "2100-02-29T00:00:00Z", "not a real date"),
        (f("x", "timestamp", True), "0000-01-01T00:00:00Z", "not a real date"),
        (f("x", "date", True), "2022-02-30", "not a real date"),
        (f("x", "date", True), "2022-13-01", "not a real date"),
        (f("x", "date", True), "2022-8-1", "not a date"),
        (f("x", "period", True), "2022-13", "not a period"), (f("x", "period", True), "2022-H3", "not a period"),
        (f("x", "period", True), "2022-00", "not a period"), (f("x", "period", True), "0000", "not a period"),
        (f("x", "string", True), "", "empty"), (f("x", "string", True), "a" * 257, "longer"),
        (f("x", "string", True), "a\nb", "control"), (f("x", "string", True), "a\x7f", "control"),
        (f("x", "text", True), "a\rb", "control"), (f("x", "text", True), "a" * 10001, "longer"),
        (f("x", "integer", True, min=1), 0, "at least"), (f("x", "integer", True), True, "must be an integer"),
        (f("x", "boolean", True), 1, "must be a boolean"),
        (f("x", "enum", True, values=["a"]), "b", "must be one of"),
        (f("x", "string_list", True), [], "list of 1"), (f("x", "string_list", True), ["a", "a"], "twice"),
        (f("x", "string_list", True), ["a"] * 65, "list of 1"),
        (f("x", "string_list", True), [1], "strings only"),
        (f("x", "object", True), [], "must be an object"),
    ]
    for spec, value, want in bad:
        err = cp.field_error("x", spec, value)
        assert err is not None and want in err, (spec.kind, value, err)


def test_envelope_rules():
    doc = load("events.json")
    env = cp.strict_parse(doc["events"][0]["line"])
    assert cp.envelope_error(env) is None
    cases = [
        ({"v": 2}, "v must be 1"), ({"v": True}, "v must be 1"), ({"node": "41080"}, "node must be"),
        ({"seq": 0}, "seq must be"), ({"id": "-x"}, "id must be"), ({"id": "a" * 129}, "id must be"),
        ({"dept": "Civil"}, "dept must be"), ({"dept": ""}, "dept must be"), ({"data": []}, "data must be"),
        ({"prev": "0" * 63}, "prev must be"), ({"hash": "A" * 64}, "hash must be"), ({"sig": "0" * 64}, "sig must be"),
        ({"type": 1}, "type must be"),
    ]
    for change, want in cases:
        err = cp.envelope_error(dict(env, **change))
        assert err is not None and want in err, (change, err)
    for member in ("v", "node", "seq", "id", "type", "at", "data", "prev", "hash", "sig"):
        e = dict(env)
        del e[member]
        assert f"missing envelope member {member}" == cp.envelope_error(e)
    e = dict(env)
    del e["dept"]
    assert cp.envelope_error(e) is None
    assert "not an envelope" in cp.envelope_error([1])
    assert "unknown envelope member" in cp.body_error(dict(env))  # hash and sig are not body members


def test_writer_idempotency():
    w = cp.Writer(bytes(range(32)), "410802")
    a = w.append("x-1", "case.filed", "2022-08-01T09:30:00+08:00", {"case_no": "1", "channel": "online"})
    again = w.append("x-1", "case.filed", "2022-08-01T09:30:00+08:00", {"channel": "online", "case_no": "1"})
    assert again is a and len(w.events) == 1
    expect_error(lambda: w.append("x-1", "case.filed", "2022-08-01T09:30:00+08:00",
                                  {"case_no": "1", "channel": "offline"}), "different content")
    expect_error(lambda: w.append("x-1", "case.filed", "2022-08-01T09:30:00+08:00",
                                  {"case_no": "1", "channel": "online"}, dept="civil-1"), "different content")
    b = w.append("x-2", "case.filed", "2022-08-01T09:31:00+08:00", {"case_no": "2", "channel": "online"})
    assert b["seq"] == 2 and b["prev"] == a["hash"]
    expect_error(lambda: w.append("x-3", "threshold.set", "2022-08-01T09:30:00+08:00",
                                  {"indicator": "i", "effective": "2022-08-01", "document": "d"}), "policy event")


# --- README and CLI ----------------------------------------------------------------------------


def test_readme_catalog_is_current():
    text = mv.README_PATH.read_text(encoding="utf-8")
    assert mv.CATALOG_BEGIN in text and mv.CATALOG_END in text
    assert mv.readme_with_catalog(text) == text, "README catalog tables are stale: run make_vectors.py"


def test_value_labels_name_canonical_values_once():
    # Import labels (README 5.1) never enter signed data: each must translate to a value some
    # enum field accepts (or true/false for booleans), and no label may mean two values.
    cat = cp.default_catalog()
    labels = cat.raw.get("value_labels", {})
    enum_values = {v for t in cat.types.values() for f in t.fields if f.kind == "enum" for v in f.values}
    seen = {}
    for value, names in labels.items():
        assert value in enum_values or value in ("true", "false"), f"label target {value!r} is no enum value"
        for name in names:
            assert name not in seen, f"label {name!r} means both {seen[name]!r} and {value!r}"
            assert name not in enum_values, f"label {name!r} is itself a canonical value"
            seen[name] = value


def run_cli(*args, stdin=None):
    p = subprocess.run([sys.executable, str(TOOLS / "verify_log.py"), *args], input=stdin,
                       capture_output=True)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def test_cli():
    doc = load("events.json")
    pub = doc["public_key_hex"]
    lines = [e["line"] for e in doc["events"]]
    inv = load("invalid.json")
    with tempfile.TemporaryDirectory() as d:
        good = Path(d) / "good.jsonl"
        good.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
        code, out, _ = run_cli("--public-key", pub, "--court", "410802", str(good))
        assert code == 0 and out == f"ok: {len(lines)} events, head seq {len(lines)} hash {doc['events'][-1]['hash']}\n", out
        suffix = Path(d) / "suffix.jsonl"
        suffix.write_bytes(("\n".join(lines[3:]) + "\n").encode("utf-8"))
        code, out, _ = run_cli("--public-key", pub, "--court", "410802", "--from", "4", str(suffix))
        assert code == 0 and out.startswith(f"ok: {len(lines) - 3} events"), out
        code, out, _ = run_cli("--public-key", pub, "--court", "410802", "--from", "4",
                               "--prev", doc["events"][0]["hash"], str(suffix))
        assert code == 1 and out.startswith("seq 4: prev does not match"), out
        unterminated = Path(d) / "unterminated.jsonl"
        unterminated.write_bytes("\n".join(lines).encode("utf-8"))
        code, out, _ = run_cli("--public-key", pub, "--court", "410802", str(unterminated))
        assert code == 1 and out.startswith(f"line {len(lines)}: missing final newline"), out
        empty = Path(d) / "empty.jsonl"
        empty.write_bytes(b"")
        code, out, _ = run_cli("--public-key", pub, "--court", "410802", str(empty))
        assert code == 0 and out == f"ok: 0 events, head seq 0 hash {cp.GENESIS_PREV}\n", out
        for c in inv["cases"]:
            f = Path(d) / "bad.jsonl"
            f.write_bytes(("\n".join(c["lines"]) + "\n").encode("utf-8"))
            code, out, _ = run_cli("--public-key", c["public_key_hex"], "--court", c["court"], str(f))
            where = f"seq {c['bad_seq']}" if c["bad_seq"] is not None else f"line {c['bad_line']}"
            assert code == 1 and out.startswith(where + ": ") and c["reason_contains"] in out, (c["name"], out)
        code, out, _ = run_cli("--public-key", pub, "--court", "410802", "-",
                               stdin=("\n".join(lines[:2]) + "\n").encode("utf-8"))
        assert code == 0 and out.startswith("ok: 2 events, head seq 2"), out
        for args in (["--court", "410802", str(good)], ["--public-key", "xyz", "--court", "410802", str(good)],
                     ["--public-key", pub, "--court", "4108", str(good)],
                     ["--public-key", pub, "--court", "410802", str(Path(d) / "missing.jsonl")],
                     ["--public-key", pub, "--court", "410802", "--from", "0", str(good)],
                     ["--public-key", pub, "--court", "410802"]):
            code, _, err = run_cli(*args)
            assert code == 2, (args, code, err)


# --- runner ------------------------------------------------------------------------------------


RFC6962_ROOTS = [  # from the Certificate Transparency test suite, not computed here
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_tlog_tree_proofs_checkpoint_and_tiles():
    doc = load("tlog.json")
    rfc = [cp.tlog_leaf_hash(bytes.fromhex(x)) for x in doc["rfc6962"]["leaves"]]
    assert [cp.tlog_mth(rfc[:k]).hex() for k in range(1, 9)] == RFC6962_ROOTS == doc["rfc6962"]["roots"]
    leaves = []
    for e in doc["entries"]:
        entry = cp.tlog_entry(e["court"], e["seq"], e["event_hash"])
        assert entry.hex() == e["entry"] and len(entry) == 47
        leaves.append(cp.tlog_leaf_hash(entry))
        assert leaves[-1].hex() == e["leaf_hash"]
    roots = {r["size"]: bytes.fromhex(r["root"]) for r in doc["roots"]}
    assert roots[0] == hashlib.sha256(b"").digest()
    for size, root in roots.items():
        assert cp.tlog_mth(leaves[:size]) == root
    for c in doc["inclusion"]:
        proof = [bytes.fromhex(x) for x in c["proof"]]
        assert proof == cp.tlog_inclusion_proof(c["index"], leaves[:c["size"]])
        assert cp.tlog_verify_inclusion(c["index"], c["size"], leaves[c["index"]], proof, roots[c["size"]])
    for c in doc["consistency"]:
        proof = [bytes.fromhex(x) for x in c["proof"]]
        assert proof == cp.tlog_consistency_proof(c["old"], leaves[:c["new"]])
        assert cp.tlog_verify_consistency(c["old"], c["new"], roots[c["old"]], roots[c["new"]], proof)
    for c in doc["invalid_proofs"]:
        proof = [bytes.fromhex(x) for x in c["proof"]]
        if c["kind"] == "inclusion":
            ok = cp.tlog_verify_inclusion(c["index"], c["size"], leaves[c.get("leaf_of", c["index"])], proof,
                                          roots[c.get("root_of", c["size"])])
        else:
            old_root = bytes.fromhex(c["old_root"]) if "old_root" in c else roots[c["old"]]
            ok = cp.tlog_verify_consistency(c["old"], c["new"], old_root, roots.get(c["new"], b""), proof)
        assert not ok, c["name"]
    ck = doc["checkpoint"]
    origin, size, root = cp.verify_checkpoint(ck["note"], ck["verifier_key"])
    assert (origin, size, root) == (ck["origin"], 13, roots[13]) and ck["note"].startswith(ck["body"] + "\n")
    assert cp.note_verifier_key(ck["origin"], bytes.fromhex(ck["public_key"])) == ck["verifier_key"]
    tampered = ck["note"].replace("\n13\n", "\n12\n")
    expect_error(lambda: cp.verify_checkpoint(tampered, ck["verifier_key"]), "does not verify")
    for t in doc["tile_indexes"]:
        assert cp.tile_index(t["n"]) == t["path"]
    co = doc["cosignature"]
    pub = bytes.fromhex(co["public_key"])
    assert cp.cosign(co["seed"], co["witness"], ck["body"], co["time"]) == co["line"]
    assert cp.verify_cosignature(co["line"], co["witness"], pub, ck["body"]) == co["time"]
    assert cp.verify_cosignature(co["line"], co["witness"], pub, ck["body"].replace("\n13\n", "\n12\n")) is None
    assert cp.verify_checkpoint(co["note"], ck["verifier_key"])[1] == 13  # cosignature lines do not disturb the hub's signature


def test_mirror_check():
    # A mirror of the 13-entry tree of tlog.json, as `courtsync audit mirror` lays it out.
    doc = load("tlog.json")
    ck = doc["checkpoint"]
    entries = [cp.tlog_entry(e["court"], e["seq"], e["event_hash"]) for e in doc["entries"]][:13]
    leaves = [cp.tlog_leaf_hash(e) for e in entries]
    files = {"checkpoint": ck["note"].encode("utf-8")}
    for level, n, width in cp.mirror_tiles(13):
        path = cp.tile_path(level, n, width)
        files[path] = cp.entry_bundle(entries[n * 256:n * 256 + width]) if level is None else cp.tile_data(level, n, 13, leaves)
    assert sorted(files) == ["checkpoint", "tile/0/000.p/13", "tile/entries/000.p/13"]
    origin, size, root, got = cp.mirror_check(files.get, ck["verifier_key"], held=(6, cp.tlog_mth(leaves[:6])))
    assert (origin, size, got) == (ck["origin"], 13, entries)
    altered = dict(files)
    altered["tile/entries/000.p/13"] = files["tile/entries/000.p/13"][:-1] + bytes([files["tile/entries/000.p/13"][-1] ^ 1])
    expect_error(lambda: cp.mirror_check(altered.get, ck["verifier_key"]), "do not make the root")
    altered = dict(files)
    altered["tile/0/000.p/13"] = files["tile/0/000.p/13"][::-1]
    expect_error(lambda: cp.mirror_check(altered.get, ck["verifier_key"]), "does not match the tree")
    other = cp.note_verifier_key(ck["origin"], bytes(32))
    expect_error(lambda: cp.mirror_check(files.get, other), "no signature")
    expect_error(lambda: cp.mirror_check(files.get, ck["verifier_key"], held=(6, leaves[0])), "does not extend")
    # The expected-entry rule after a recovery: the hub holds 410802 up to seq 1 of the 3 the tree holds.
    by = {(e["court"], e["seq"]): e["event_hash"] for e in doc["entries"]}
    court = next(c for c, s in by if s == 3 and (c, 2) in by and (c, 1) in by)
    seqs = [s for c, s in by if c == court]
    tree = [e for e in entries if e[1:7].decode() != court or _struct.unpack(">Q", e[7:15])[0] <= 3]
    assert cp.owed_events(tree, {court: 1})[court] == (2, 3)
    assert cp.expected_entry_answer(tree, {court: 1}, court, 2, by[(court, 2)]) == "same-leaf"
    assert cp.expected_entry_answer(tree, {court: 1}, court, 2, "00" * 32) == "not-expected"
    assert cp.expected_entry_answer(tree, {court: 3}, court, 4, "00" * 32) == "new-leaf"
    assert max(seqs) >= 3
    assert len(cp.mirror_tiles(70000)) == 274 + 274 + 2 + 1  # 273 full + 1 partial bundles and level-0 tiles; 2 at level 1; 1 at level 2


def test_future_dated_and_role_rosters():
    # The same hand-computed cases as Tests/ProjectionsTests/StaffRoleTests.swift.
    t = cp.timestamp_utc_seconds
    assert t("2022-09-08T10:10:00+08:00") == t("2022-09-08T02:10:00Z") == 1662603000
    rec = t("2022-09-08T10:00:00+08:00")
    assert not cp.is_future_dated("2022-09-08T10:10:00+08:00", rec)      # exactly 600 s: within the skew
    assert cp.is_future_dated("2022-09-08T10:10:01+08:00", rec)          # 601 s: a data problem
    assert not cp.is_future_dated("2030-01-01T00:00:00+08:00", 0)        # record time unknown
    end_aug, end_sep, end_oct = (t(x) for x in ("2022-09-01T00:00:00+08:00", "2022-10-01T00:00:00+08:00",
                                                "2022-11-01T00:00:00+08:00"))
    seq = iter(range(1, 100))

    def r(node, at, n, dept=None, role=None):
        return {"node": node, "seq": next(seq), "at_utc": t(at), "dept": dept, "headcount": n, "role": role}
    # 中站区 by role only: 10 + 8 + 6 = 24; judges 10
    zz = [r("410803", "2022-09-01T08:00:00+08:00", n, role=x) for x, n in (("judge", 10), ("judge_assistant", 8), ("clerk", 6))]
    assert cp.headcount(zz, "410803", end_sep) == 24 and cp.headcount(zz, "410803", end_sep, "judge") == 10
    assert cp.headcount(zz, "410803", end_sep, "other") is None
    # 博爱县: whole 30 (Aug); roles 10/8/6/4 (Sep) → 28; whole 27 (Oct 15) → 27, judges still 10
    ba = [r("410822", "2022-08-01T08:00:00+08:00", 30)]
    ba += [r("410822", "2022-09-01T08:00:00+08:00", n, role=x) for x, n in (("judge", 10), ("judge_assistant", 8), ("clerk", 6), ("other", 4))]
    ba += [r("410822", "2022-10-15T08:00:00+08:00", 27)]
    assert [cp.headcount(ba, "410822", e) for e in (end_aug, end_sep, end_oct)] == [30, 28, 27]
    assert cp.headcount(ba, "410822", end_oct, "judge") == 10
    # 孟州市: court-wide judges 20 (Aug); 立案庭 judges 3, 民一庭 judges 4 + clerks 2, 民一庭 whole 9 later
    mz = [r("410883", "2022-08-01T08:00:00+08:00", 20, role="judge"),
          r("410883", "2022-09-01T08:00:00+08:00", 3, dept="case-filing", role="judge"),
          r("410883", "2022-09-01T08:00:00+08:00", 4, dept="civil-1", role="judge"),
          r("410883", "2022-09-01T08:00:00+08:00", 2, dept="civil-1", role="clerk"),
          r("410883", "2022-09-02T08:00:00+08:00", 9, dept="civil-1")]
    assert cp.headcount(mz, "410883", end_sep, "judge") == 7 and cp.headcount(mz, "410883", end_sep, "clerk") == 2
    assert cp.headcount(mz, "410883", end_sep) == 12                      # 3 + 9
    assert cp.headcount(mz, "410883", end_aug) == 20 and cp.headcount(mz, "410883", end_aug, "judge") == 20

def test_keylog_replay_and_refusals():
    doc = load("keylog.json")
    log = cp.KeyLog()
    for r in doc["records"]:
        entry = bytes.fromhex(r["entry"])
        assert entry == cp.keylog_entry(r["record"]) and cp.keylog_record(entry) == r["record"]
        assert cp.tlog_leaf_hash(entry).hex() == r["leaf_hash"]
        assert log.apply(r["record"]) is None, r["record"]["body"]["n"]
    assert log.registry() == doc["registry"]
    for case in doc["invalid"]:
        before = log.registry()
        err = log.apply(case["record"])
        assert err is not None and case["error_contains"] in err, (case["name"], err)
        assert log.registry() == before, case["name"]  # a refused record changes nothing
    altered = json.loads(json.dumps(doc["records"][1]["record"]))
    altered["body"]["public_key"] = doc["registry"]["410803"]["public_key"]
    fresh = cp.KeyLog()
    assert fresh.apply(doc["records"][0]["record"]) is None
    assert "not countersigned" in fresh.apply(altered)  # a hand-edited key breaks 410800's countersignature
    # 410800 rotates its own key: the new key is the authority from then on.
    hub = doc["hub_rotation"]
    import copy
    for case in hub["invalid"]:
        attempt = cp.KeyLog()
        for r in doc["records"]:
            assert attempt.apply(r["record"]) is None
        if case["after_rotation"]:
            assert attempt.apply(hub["records"][0]["record"]) is None
        err = attempt.apply(case["record"])
        assert err is not None and case["error_contains"] in err, (case["name"], err)
    rotated = copy.deepcopy(log)
    for r in hub["records"]:
        assert bytes.fromhex(r["entry"]) == cp.keylog_entry(r["record"])
        assert rotated.apply(r["record"]) is None, r["record"]["body"]["n"]
    assert rotated.registry() == hub["registry"]
    assert [k["status"] for k in hub["registry"]["410800"]["keys"]] == ["rotated", "active"]



def test_keylog_logs_verify_under_the_key_history():
    """Section 10: a rotated court's whole log verifies under its registry `keys`; the old key after
    the new one, a revoked key, and no key of the court are refused at their seq."""
    doc = load("keylog.json")
    assert [k["status"] for k in doc["registry"]["410802"]["keys"]] == ["rotated", "active"]
    assert [k["from_record"] for k in doc["registry"]["410802"]["keys"]] == [2, 4]
    assert doc["registry"]["410803"]["keys"][0]["status"] == "revoked"
    for case in doc["logs"]:
        entry = doc["registry"][case["court"]]
        r = cp.verify_export(case["export"].encode(), entry["public_key"], case["court"], key_history=entry["keys"])
        assert r.ok == case["ok"], (case["name"], str(r))
        if not case["ok"]:
            assert r.bad_seq == case["seq"] and case["error_contains"] in r.reason, (case["name"], str(r))
    # from_seq binds the boundary exactly: seq 3 is the new key's first (record 4 says so).
    assert [k.get("from_seq") for k in doc["registry"]["410802"]["keys"]] == [None, 3]
    # A rotation recorded before from_seq existed keeps the order rule alone: the new key may
    # start at any seq, as long as the old one never signs after it.
    early = next(c for c in doc["logs"] if "below its from_seq" in c["name"])
    unbound = [{k: v for k, v in held.items() if k != "from_seq"} for held in doc["registry"]["410802"]["keys"]]
    assert cp.verify_export(early["export"].encode(), unbound[-1]["public_key"], "410802", key_history=unbound).ok
    # Under the current key alone (the registry before key histories), the rotated log fails at seq 1.
    rotated = doc["logs"][0]
    r = cp.verify_export(rotated["export"].encode(), doc["registry"]["410802"]["public_key"], "410802")
    assert not r.ok and r.bad_seq == 1 and "bad signature" in r.reason
    # verify_log.py --registry reads the history from nodes/<court>.json.
    with tempfile.TemporaryDirectory() as d:
        Path(d, "410802.json").write_bytes(cp.jcs(doc["registry"]["410802"]) + b"\n")
        Path(d, "log.jsonl").write_text(rotated["export"], encoding="utf-8")
        tool = Path(__file__).resolve().parent / "verify_log.py"
        out = subprocess.run([sys.executable, str(tool), "--registry", d, "--court", "410802", str(Path(d, "log.jsonl"))],
                             capture_output=True, text=True)
        assert out.returncode == 0 and out.stdout.startswith("ok: 4 events"), out.stdout + out.stderr


def test_witness_add_checkpoint():
    """Section 16.11: the witness cosigns extensions only, says its size on a conflict, refuses bad proofs."""
    doc = load("tlog.json")
    ck = doc["checkpoint"]
    leaves = [cp.tlog_leaf_hash(cp.tlog_entry(e["court"], e["seq"], e["event_hash"])) for e in doc["entries"]]
    seed, origin, keys = ck["seed"], ck["origin"], [ck["verifier_key"]]
    wseed, wname = mv.SEED_410802, "province.example/witness"

    def req(old, size, proof_leaves=None, signer=seed):
        body = cp.checkpoint_body(origin, size, cp.tlog_mth(leaves[:size]))
        proof = cp.tlog_consistency_proof(old, (proof_leaves or leaves)[:size]) if 0 < old < size else []
        lines = "".join(cp._b64.b64encode(p).decode() + "\n" for p in proof)
        return f"old {old}\n{lines}\n{cp.sign_note(signer, origin, body)}".encode()

    st, ct, ans, held = cp.witness_add_checkpoint(None, req(0, 6), keys, wseed, wname, 1700000000)
    assert st == 200 and held == (6, cp.tlog_mth(leaves[:6]))
    body6 = cp.checkpoint_body(origin, 6, cp.tlog_mth(leaves[:6]))
    assert cp.verify_cosignature(ans.strip(), wname, bytes.fromhex(cp.public_key_hex(wseed)), body6) == 1700000000
    st, _, _, held = cp.witness_add_checkpoint(held, req(6, 13), keys, wseed, wname, 1700000001)
    assert st == 200 and held[0] == 13
    assert cp.witness_add_checkpoint(held, req(0, 6), keys, wseed, wname, 1)[:3] == (409, "text/x.tlog.size", "13\n")
    assert cp.witness_add_checkpoint(held, req(13, 6), keys, wseed, wname, 1)[0] == 400
    bad = req(6, 13).replace(b"\n\n", b"\n", 0)
    assert cp.witness_add_checkpoint((6, cp.tlog_mth(leaves[:6])[::-1]), bad, keys, wseed, wname, 1)[0] == 422
    assert cp.witness_add_checkpoint(held, req(13, 13, signer=mv.SEED_410803), keys, wseed, wname, 1)[0] == 403
    assert cp.witness_add_checkpoint(held, b"old 0\n\nelsewhere/log\n1\nAA==\n\n", keys, wseed, wname, 1)[0] == 404

def test_checkpoint_publication_retroactivity_and_late_entries():
    # Section 16.12, by hand. Leaves: 0 = 410800/1, 1 = 410802/1, 2 = 410802/2, 3 = 410800/2.
    entries = [("410800", 1), ("410802", 1), ("410802", 2), ("410800", 2)]
    assert cp.tlog_log_at(entries, 3) == {"410800": 1, "410802": 2}
    assert cp.tlog_log_at(entries, 1) == {"410800": 1}
    # Checkpoints of size 2 (hub 1000, no witness), 3 (hub 2000, witnesses a at 5000 and b at 4000), 4 (hub 9000).
    cps = [{"size": 2, "hub_time": 1000, "cosignatures": {}},
           {"size": 3, "hub_time": 2000, "cosignatures": {"a": 5000, "b": 4000}},
           {"size": 4, "hub_time": 9000, "cosignatures": {}}]
    # Covered by 2, 3, 4: witness times win; two witnesses, fewer than the quorum of 3, so the later: 5000.
    assert cp.tlog_first_publication(0, cps) == (5000, True)
    assert cp.tlog_first_publication(0, cps, quorum=1) == (4000, True)
    assert cp.tlog_first_publication(0, cps, up_to=2) == (1000, False)  # at checkpoint 2 no witness yet: the hub's time
    assert cp.tlog_first_publication(3, cps) == (9000, False)
    # A colluding witness c claims 100 on checkpoint 4, d cosigns 3 at 6000 and 4 at 7000: each witness's
    # earliest is a 5000, b 4000, c 100, d 6000; the third smallest of 100, 4000, 5000, 6000 is 5000.
    cps5 = cps[:2] + [{"size": 4, "hub_time": 9000, "cosignatures": {"c": 100, "d": 7000}}]
    cps5[1] = {"size": 3, "hub_time": 2000, "cosignatures": {"a": 5000, "b": 4000, "d": 6000}}
    assert cp.tlog_first_publication(0, cps5) == (5000, True)
    assert cp.tlog_first_publication(3, cps5) == (7000, True)         # only c and d cosigned 4: the later of two
    assert cp.tlog_first_publication(3, cps, up_to=3) is None
    # 2023-05-10T10:00:00+08:00 = 1683684000: a threshold effective 2023-02-01 is 98 days late
    # (Feb 27 + Mar 31 + Apr 30 + May 10 = 98); one effective that day is not retroactive.
    assert cp.retroactive_policy("2023-02-01", 1683684000) == 98
    assert cp.retroactive_policy("2023-05-10", 1683684000) == 0
    assert cp.figure_changed("2023-02-28", True, 1683684000)
    assert not cp.figure_changed("2023-05-31", True, 1683684000)
    assert not cp.figure_changed("2023-02-28", True, 1683684000, has_data=False)
    # Late: more than 30 × 86400 = 2592000 s after the event.
    assert cp.is_late(0, 2592001) and not cp.is_late(0, 2592000)


def test_refusal_bodies_and_push_rules():
    assert cp.refusal_error(409, {"error": "gap: …", "reason": "gap", "cursor": 2000}) is None
    assert cp.refusal_error(409, {"error": "fork", "reason": "fork", "cursor": 7, "seq": 8, "held": "ab" * 32}) is None
    assert cp.refusal_error(422, {"error": "bad signature", "reason": "invalid", "seq": 3}) is None
    assert cp.refusal_error(409, {"error": "not the tree's", "reason": "not-expected", "seq": 4, "expected": "cd" * 32}) is None
    assert "requires member" in cp.refusal_error(409, {"error": "x", "reason": "not-expected", "seq": 4})
    assert "64 lowercase hex" in cp.refusal_error(409, {"error": "x", "reason": "not-expected", "seq": 4, "expected": "CD" * 32})
    assert cp.refusal_error(503, {"error": "busy", "reason": "busy", "retry_after": 5}) is None
    assert "requires member" in cp.refusal_error(409, {"error": "gap", "reason": "gap"})
    assert "requires member" in cp.refusal_error(422, {"error": "x", "reason": "invalid"})
    assert "comes with status 409" in cp.refusal_error(400, {"error": "gap", "reason": "gap", "cursor": 1})
    assert "does not belong" in cp.refusal_error(403, {"error": "x", "reason": "forbidden", "cursor": 1})
    assert "unknown reason" in cp.refusal_error(418, {"error": "x", "reason": "teapot"})
    # Signatures in windows: a forged event at seq 130 is found after 200 checks with windows of 100.
    doc = load("events.json")
    key = cp.parse_public_key(doc["public_key_hex"])
    envs = [cp.strict_parse(e["line"]) for e in doc["events"]]
    assert cp.first_bad_signature(key, envs) == (None, len(envs))
    forged = [dict(e) for e in envs]
    forged[1]["sig"] = "00" * 64
    assert cp.first_bad_signature(key, forged, window=1) == (forged[1]["seq"], 2)
    # Export lines spliced from the stored canonical body, hash and signature: the vectors' lines.
    for e in doc["events"] + load("events.json")["policy_events"]["events"]:
        assert cp.export_line_from_body(bytes.fromhex(e["canonical_hex"]), e["hash"], e["sig"]) == e["line"], e["name"]
    assert cp.export_line_from_body(b'{"at":"x"}', "00" * 32, "00" * 64) is None
    # Pushes in flight: 6…10 waits for 1…5, not for 11…15 nor for a retry of itself.
    a, b, c = (1, 5), (6, 10), (11, 15)
    assert cp.waits_for(b, [a, b, c]) == a
    assert cp.waits_for(a, [a, b, c]) is None
    assert cp.waits_for(c, [a, c]) is None
    assert cp.waits_for(b, [(6, 10), b]) is None
    # The reported node head: hub holds 100.
    assert cp.plausible_node_head(50, 100) == 100
    assert cp.plausible_node_head(2_000, 100) == 2_000
    assert cp.plausible_node_head(10**12, 100) == 1_000_100
    assert cp.plausible_node_head(None, 100) == 100


def main() -> int:
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_") and callable(f)]
    passed = failed = 0
    for name, fn in tests:
        try:
            fn()
        except Exception:  # noqa: BLE001
            failed += 1
            print(f"FAIL {name}")
            traceback.print_exc()
        else:
            passed += 1
            print(f"ok   {name}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
