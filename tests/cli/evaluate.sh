#!/usr/bin/env bash
# matopt evaluate: each split runs, prints its folds and the ratio to a random split, writes the
# results files; a group column is read but not used as a model input; bad input is one clear line
# and exit 2 without files. $1 = matopt binary, $2 = data dir.
set -uo pipefail
MATOPT=$1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 36 Fe-Ni-Cu rows on a grid of sevenths; y = 3 x_Fe + x_Ni; two labs; years 2018-2023.
/usr/bin/python3 - "$TMP/data.csv" <<'EOF'
import sys
rows = []
for i in range(8):
    for j in range(8 - i):
        k = 7 - i - j
        f = "".join(f"{e}{n}" for e, n in (("Fe", i), ("Ni", j), ("Cu", k)) if n)
        rows.append((f, 3 * i / 7 + j / 7))
with open(sys.argv[1], "w") as out:
    out.write("formula,y,lab,year\n")
    for r, (f, y) in enumerate(rows):
        out.write(f"{f},{y:.6f},{'north' if r % 2 else 'south'},{2018 + r % 6}\n")
EOF
fast=(--model forest --options '{"trees": 30}')

"$MATOPT" evaluate "$TMP/data.csv" --target y --split element --min-rows 5 --folds 3 "${fast[@]}" \
  -o "$TMP/el.json" > "$TMP/el.txt" 2> "$TMP/el.err" || fail "element: $(cat "$TMP/el.err")"
for label in Fe Ni Cu "mean over folds" "random 3-fold, same model" "extrapolation penalty: mae element / random = "; do
  grep -q "$label" "$TMP/el.txt" || fail "element output lacks '$label': $(cat "$TMP/el.txt")"
done
grep -q "^Fe  .* 8 *28 " "$TMP/el.txt" || fail "Fe fold should train on 8 and test 28 rows: $(cat "$TMP/el.txt")"
[ -s "$TMP/el.json" ] && [ -s "$TMP/el.random.json" ] || fail "results files missing"
/usr/bin/python3 - "$TMP/el.json" <<'EOF' || fail "results file"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["format"] == "matopt-matbench-results", r["format"]
assert [f["label"] for f in r["folds"]] == ["Fe", "Ni", "Cu"], [f["label"] for f in r["folds"]]
assert all(len(f["predictions"]) == 28 for f in r["folds"])
EOF

"$MATOPT" evaluate "$TMP/data.csv" --target y --split group:lab "${fast[@]}" --no-baseline > "$TMP/g.txt" 2> "$TMP/g.err" ||
  fail "group: $(cat "$TMP/g.err")"
grep -q "^north .* 18 *18 " "$TMP/g.txt" || fail "group folds: $(cat "$TMP/g.txt")"
grep -q "extrapolation penalty" "$TMP/g.txt" && fail "--no-baseline still printed a ratio"
grep -q "column 'lab' not imported" "$TMP/g.err" && fail "the group column was not read"

"$MATOPT" evaluate "$TMP/data.csv" --target y --split time:year --folds 2 "${fast[@]}" > "$TMP/t.txt" 2> "$TMP/t.err" ||
  fail "time: $(cat "$TMP/t.err")"
grep -q "^year in \[2020, 2021\]" "$TMP/t.txt" || fail "time folds: $(cat "$TMP/t.txt")"

"$MATOPT" evaluate "$TMP/data.csv" --target y --split loco --folds 3 "${fast[@]}" > "$TMP/c.txt" 2> "$TMP/c.err" ||
  fail "loco: $(cat "$TMP/c.err")"
[ "$(grep -c '^cluster ' "$TMP/c.txt")" -eq 3 ] || fail "loco: expected 3 clusters: $(cat "$TMP/c.txt")"

# Errors: one line, exit 2, nothing written.
"$MATOPT" evaluate "$TMP/data.csv" --target y --split group:site "${fast[@]}" -o "$TMP/bad.json" 2> "$TMP/e1" && fail "unknown column accepted"
grep -q "site" "$TMP/e1" || fail "unknown column message: $(cat "$TMP/e1")"
sed '5s/,north,/,,/; 5s/,south,/,,/' "$TMP/data.csv" > "$TMP/gap.csv"
"$MATOPT" evaluate "$TMP/gap.csv" --target y --split group:lab "${fast[@]}" -o "$TMP/bad.json" 2> "$TMP/e2"
rc=$?
[ $rc -eq 2 ] || fail "empty group cell: exit $rc, expected 2 ($(cat "$TMP/e2"))"
grep -q "row 5, column 'lab': empty cell" "$TMP/e2" || fail "empty group cell message: $(cat "$TMP/e2")"
"$MATOPT" evaluate "$TMP/data.csv" --target y --split kfold 2> "$TMP/e3" && fail "bad --split accepted"
grep -q "expected random, loco, element, group:COLUMN or time:COLUMN" "$TMP/e3" || fail "bad split message: $(cat "$TMP/e3")"
[ -e "$TMP/bad.json" ] && fail "a failed evaluate wrote a results file"
echo "evaluate: ok"
