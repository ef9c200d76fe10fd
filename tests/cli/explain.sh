#!/usr/bin/env bash
# matopt explain on a forest of steel compositions: rankings printed, TreeSHAP rows add up to the
# prediction minus the expected value, partial dependence per element. $1 = matopt binary, $2 = data dir.
set -uo pipefail
MATOPT=$1
DATA=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

head -81 "$DATA/matbench/matbench_steels.csv" > "$TMP/steels.csv"
"$MATOPT" train "$TMP/steels.csv" --target "yield strength" --model forest --features fractions \
  --options '{"trees": 40}' -o "$TMP/f.h5" > /dev/null 2>&1 || fail "train"
"$MATOPT" explain "$TMP/f.h5" "$TMP/steels.csv" --background 20 -o "$TMP/out" > "$TMP/out.txt" 2> "$TMP/err.txt" ||
  fail "explain: $(cat "$TMP/err.txt")"
for s in "permutation importance (MAE increase):" "TreeSHAP, mean |contribution| per family:" "partial dependence" "1. fraction "; do
  grep -qF "$s" "$TMP/out.txt" || fail "output lacks '$s': $(cat "$TMP/out.txt")"
done
for f in importance shap shap_importance partial_dependence; do
  [ -s "$TMP/out/${f}_yield strength.csv" ] || fail "missing ${f}_yield strength.csv"
done
/usr/bin/python3 - "$TMP/out/shap_yield strength.csv" "$TMP/out/partial_dependence_yield strength.csv" <<'PY' || fail "tables"
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
assert len(rows) == 81, len(rows)
for r in rows[1:]:
    pred, expected, phi = float(r[1]), float(r[2]), [float(v) for v in r[3:]]
    assert abs(sum(phi) - (pred - expected)) <= 1e-9 * max(1.0, abs(pred)), (r[0], sum(phi), pred - expected)
pd = list(csv.reader(open(sys.argv[2])))
assert pd[0] == ["element", "fraction", "yield strength_mean"], pd[0]
assert {r[0] for r in pd[1:]} >= {"Fe", "Ni", "Co", "Ti"}
assert len([r for r in pd[1:] if r[0] == "Ti"]) == 11
PY
"$MATOPT" explain "$TMP/missing.h5" "$TMP/steels.csv" 2> "$TMP/e1" && fail "a missing model accepted"
grep -q "missing.h5" "$TMP/e1" || fail "missing model message: $(cat "$TMP/e1")"
echo "explain: ok"
