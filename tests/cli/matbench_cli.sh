#!/usr/bin/env bash
# CLI checks of `matopt bench matbench`: a tiny dataset end to end, resume, and bad input.
# $1 = matopt binary, $2 = data dir.
set -u
MATOPT="$1"
DATA="$2"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Fe-Ni-Cu grid, y linear in the fractions; 3 folds by row index mod 3.
{
  echo "composition,y"
  for i in 0 1 2 3 4 5; do for j in 0 1 2 3 4 5; do
    k=$((5 - i - j)); [ "$k" -lt 0 ] && continue
    f=""; [ "$i" -gt 0 ] && f="${f}Fe$i"; [ "$j" -gt 0 ] && f="${f}Ni$j"; [ "$k" -gt 0 ] && f="${f}Cu$k"
    echo "$f,$(( 3 * i - 2 * k + 5 ))"
  done; done
} > "$TMP/toy.csv"
n=$(($(wc -l < "$TMP/toy.csv") - 1))
folds() {  # folds JSON with row r in fold r mod 3
  local out='{"target":"y","n":'"$n"',"folds":['
  for f in 0 1 2; do
    local rows=""; for ((r = f; r < n; r += 3)); do rows="$rows${rows:+,}$r"; done
    out="$out{\"test\":[$rows]}"; [ "$f" -lt 2 ] && out="$out,"
  done
  echo "$out]}"
}
folds > "$TMP/toy.folds.json"

args=(bench matbench --dataset "$TMP/toy.csv" --features fractions --gp-options '{"restarts":1}' --seed 3)
out=$("$MATOPT" "${args[@]}" --folds 0 -o "$TMP/r.json" 2>&1) || fail "fold 0 run: $out"
echo "$out" | grep -q "1/3 folds" || fail "table should show 1/3 folds: $out"
grep -q '"predictions"' "$TMP/r.json" || fail "results file has no predictions"
out=$("$MATOPT" "${args[@]}" -o "$TMP/r.json" 2>&1) || fail "resumed run: $out"
echo "$out" | grep -q "3/3 folds" || fail "resumed table should show 3/3 folds: $out"
echo "$out" | grep -q "MAE" || fail "no MAE in the table: $out"
out=$("$MATOPT" "${args[@]}" -o "$TMP/r.json" 2>&1) || fail "third run: $out"
echo "$out" | grep -q "nothing to run" || fail "a finished run should have nothing to run: $out"

# Re-scoring the stored predictions with the same version reproduces the table's figures.
table=$(echo "$out" | grep -E "^  (MAE|miscal)")
out=$("$MATOPT" bench matbench --rescore "$TMP/r.json" -o "$TMP/rescored.json" 2>&1) || fail "rescore: $out"
[ "$(echo "$out" | grep -E "^  (MAE|miscal)")" = "$table" ] || fail "rescored table differs: $out vs $table"
[ -s "$TMP/rescored.json" ] || fail "rescore -o wrote nothing"
out=$("$MATOPT" bench matbench --rescore "$TMP/r.json" --task matbench_steels 2>&1)
[ $? -eq 1 ] || fail "--rescore with --task should exit 1: $out"
out=$("$MATOPT" bench matbench --rescore "$TMP/toy.csv" 2>&1)
[ $? -eq 2 ] || fail "rescoring a non-results file should exit 2: $out"

# Other arguments against the same results file: usage error naming the difference.
out=$("$MATOPT" bench matbench --dataset "$TMP/toy.csv" --features fractions --seed 4 -o "$TMP/r.json" 2>&1)
[ $? -eq 1 ] || fail "changed seed should exit 1: $out"
echo "$out" | grep -q "seed" || fail "message should name the seed: $out"

# Overlapping folds: data error naming the folds.
sed 's/"test":\[0,/"test":[1,0,/' "$TMP/toy.folds.json" > "$TMP/bad.folds.json"
out=$("$MATOPT" bench matbench --dataset "$TMP/toy.csv" --folds "$TMP/bad.folds.json" --features fractions 2>&1)
[ $? -eq 2 ] || fail "overlapping folds should exit 2: $out"
echo "$out" | grep -q "row index 1 is in the test sets of folds 0 and 1" || fail "overlap message: $out"

# Unknown task: usage error listing the shipped tasks.
out=$("$MATOPT" bench matbench --task matbench_nope 2>&1)
[ $? -eq 1 ] || fail "unknown task should exit 1: $out"
echo "$out" | grep -q "matbench_steels" || fail "message should list the tasks: $out"

# Text target column: neither numeric nor boolean.
printf 'composition,kind\nFe,metal\nNi,metal\nCu,metal\nNaCl,salt\n' > "$TMP/text.csv"
echo '{"folds":[[0,1],[2,3]]}' > "$TMP/text.folds.json"
out=$("$MATOPT" bench matbench --dataset "$TMP/text.csv" --target kind --features fractions 2>&1)
[ $? -eq 2 ] || fail "text target should exit 2: $out"
echo "$out" | grep -qi "kind" || fail "message should name the column: $out"
echo "ok"
