#!/usr/bin/env bash
# A short tour of a court node: make one, record events, export, and verify the export with
# both the Swift verifier and the independent Python one in protocol/tools/.
# Usage: bash scripts/tour.sh [path/to/courtsync]   (default: builds and uses the release binary)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-}
if [ -z "$bin" ]; then
  swift build -c release 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]'
  bin=.build/release/courtsync
fi
work=$(mktemp -d /tmp/courtsync-tour.XXXXXX)
trap 'rm -rf "$work"' EXIT
node="$work/jiefang"

echo "\$ courtsync node init --dir $node --court 410802"
"$bin" node init --dir "$node" --court 410802

echo "\$ courtsync node append ... case.filed"
"$bin" node append --dir "$node" --type case.filed --dept 立案庭 --at 2022-08-01T09:30:00+08:00 \
  'case_no=(2022)豫0802民初1号' channel=online --id tour-1

cat > "$work/services.csv" <<'CSV'
type,at,dept,case_no,method
service.delivered,2022-08-02T10:00:00+08:00,民一庭,(2022)豫0802民初1号,electronic
service.delivered,2022-08-03T15:20:00+08:00,民一庭,(2022)豫0802民初1号,postal
service.delivered,2022-08-04T11:05:00+08:00,立案庭,(2022)豫0802民初2号,electronic
CSV
echo "\$ courtsync node import --dir $node services.csv"
"$bin" node import --dir "$node" "$work/services.csv"
echo "\$ courtsync node import (again: nothing is stored twice)"
"$bin" node import --dir "$node" "$work/services.csv"

echo "\$ courtsync node status"
"$bin" node status --dir "$node"

echo "\$ courtsync audit verify --dir $node"
"$bin" audit verify --dir "$node"

"$bin" node export --dir "$node" --out "$work/export.jsonl"
key=$("$bin" node status --dir "$node" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["public_key"])')
echo "\$ courtsync audit verify --public-key $key export.jsonl"
"$bin" audit verify --public-key "$key" "$work/export.jsonl"
echo "\$ python3 protocol/tools/verify_log.py --public-key … --court 410802 export.jsonl   (independent verifier)"
python3 protocol/tools/verify_log.py --public-key "$key" --court 410802 "$work/export.jsonl"

echo "\$ a forged export is refused:"
sed 's/"electronic"/"direct"/' "$work/export.jsonl" > "$work/forged.jsonl"
if "$bin" audit verify --public-key "$key" "$work/forged.jsonl"; then echo "forged export verified: FAIL"; exit 1; fi
echo "tour complete"
