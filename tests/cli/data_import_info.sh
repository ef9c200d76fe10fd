#!/usr/bin/env bash
# matopt import / info / export on matbench_steels: the issue's acceptance commands.
# $1 = matopt binary, $2 = data dir.
set -euo pipefail
MATOPT=$1
DATA=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$MATOPT" import "$DATA/matbench/matbench_steels.csv" -o "$TMP/s.h5"
[ -f "$TMP/s.h5" ] || fail "no output file"
[ "$(ls -A "$TMP")" = "s.h5" ] || fail "stray files next to the output: $(ls -A "$TMP")"

"$MATOPT" info "$TMP/s.h5" --json > "$TMP/info.json"
grep -q '"rows": 312,' "$TMP/info.json" || fail "rows != 312: $(cat "$TMP/info.json")"
grep -q '"n_elements": 14' "$TMP/info.json" || fail "n_elements != 14"
grep -q '"name": "yield strength"' "$TMP/info.json" || fail "target 'yield strength' missing"
grep -q '"composition_column": "composition"' "$TMP/info.json" || fail "composition column missing"
# Fe is in every steel.
grep -A2 '"rows": 312,' "$TMP/info.json" > /dev/null
if /usr/bin/python3 -c 'import json' 2>/dev/null; then
  /usr/bin/python3 - "$TMP/info.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["rows"] == 312, j["rows"]
assert [t["name"] for t in j["targets"]] == ["yield strength"], j["targets"]
t = j["targets"][0]
assert t["count"] == 312 and t["missing"] == 0
assert abs(t["min"] - 1005.9) < 1e-9 and abs(t["max"] - 2510.3) < 1e-9, (t["min"], t["max"])
fe = [e for e in j["elements"] if e["symbol"] == "Fe"][0]
assert fe["rows"] == 312
assert len(j["elements"]) == 14
PY
fi

# Human-readable info on both the .h5 and the CSV directly.
"$MATOPT" info "$TMP/s.h5" | grep -q "312 rows" || fail "text info"
"$MATOPT" info "$DATA/matbench/matbench_steels.csv" | grep -q "elements (14)" || fail "text info on CSV"

# Export back to CSV: same header, same number of lines, same formulas and targets.
"$MATOPT" export "$TMP/s.h5" -o "$TMP/out.csv"
[ "$(head -1 "$TMP/out.csv")" = "composition,yield strength" ] || fail "export header: $(head -1 "$TMP/out.csv")"
[ "$(wc -l < "$TMP/out.csv")" = "313" ] || fail "export line count"
cmp <(cut -d, -f1 "$DATA/matbench/matbench_steels.csv" | tr -d '\r') <(cut -d, -f1 "$TMP/out.csv") || fail "formulas differ"
cmp <(cut -d, -f2 "$DATA/matbench/matbench_steels.csv" | tr -d '\r' | tail -n +2 | awk '{printf "%.10g\n", $1}') \
    <(cut -d, -f2 "$TMP/out.csv" | tail -n +2 | awk '{printf "%.10g\n", $1}') || fail "targets differ"

# The documented h5py reader (docs/file-formats.md), where h5py is installed.
if /usr/bin/python3 -c 'import h5py' 2>/dev/null; then
  /usr/bin/python3 - "$TMP/s.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    assert f.attrs["format"] == "matopt-dataset" and f.attrs["version"] == 1
    fr = f["composition/fractions"]
    elements = list(fr.attrs["elements"])
    assert fr.shape == (312, 14) and len(elements) == 14 and "Fe" in elements
    assert abs(fr[:].sum(axis=1) - 1).max() < 1e-12
    names = list(f["column_names"].asstr()[:])
    assert names == ["yield strength"], names
    y = f["columns/yield strength"][:]
    assert y.shape == (312,) and abs(y[0] - 2411.5) < 1e-12
PY
fi
echo "ok"
