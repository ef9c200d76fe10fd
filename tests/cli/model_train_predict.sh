#!/usr/bin/env bash
# matopt train / predict end to end: $1 = matopt binary, $2 = data dir.
set -u
BIN="$1"
DATA="$2"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 60 training rows and 5 rows to predict from the steels set (composition + yield strength).
head -61 "$DATA/matbench/matbench_steels.csv" > "$TMP/train.csv"
{ head -1 "$DATA/matbench/matbench_steels.csv" | cut -d, -f1; sed -n '62,66p' "$DATA/matbench/matbench_steels.csv" | cut -d, -f1; } > "$TMP/query.csv"

"$BIN" train "$TMP/train.csv" --target "yield strength" --model gp --kernel matern32 --seed 3 --calibrate --folds 3 \
  -o "$TMP/model.h5" > "$TMP/train.out" || fail "train exited $?"
grep -q "trained 1 target" "$TMP/train.out" || fail "train summary missing: $(cat "$TMP/train.out")"
[ -s "$TMP/model.h5" ] || fail "no model file"

"$BIN" predict --model "$TMP/model.h5" "$TMP/query.csv" -o "$TMP/pred.csv" || fail "predict exited $?"
head -1 "$TMP/pred.csv" | grep -qx 'id,yield strength_mean,yield strength_std,yield strength_epistemic_std,yield strength_aleatoric_std,yield strength_median,yield strength_q05,yield strength_q95,domain_score,in_domain' \
  || fail "bad header: $(head -1 "$TMP/pred.csv")"
# Applicability domain: a training composition scores 0 and is inside; gold and rock salt are far outside.
{ echo composition; sed -n 2p "$TMP/train.csv" | cut -d, -f1; echo Au; echo NaCl; } > "$TMP/far.csv"
"$BIN" predict --model "$TMP/model.h5" "$TMP/far.csv" -o "$TMP/far_pred.csv" || fail "predict far rows"
awk -F, 'NR == 2 { if ($9 != 0 || $10 != 1) bad = 1 } NR > 2 { if (!($9 > 3) || $10 != 0) bad = 1 } END { exit bad }' \
  "$TMP/far_pred.csv" || fail "domain columns: $(cat "$TMP/far_pred.csv")"
# A GP's distribution is Gaussian: median = mean, q05/q95 = mean ∓ 1.6448536·std.
awk -F, 'NR > 1 { d = $2 - 1.6448536 * $3 - $7; u = $2 + 1.6448536 * $3 - $8;
                  if ($6 != $2 || d * d > 1e-12 * $2 * $2 || u * u > 1e-12 * $2 * $2) bad = 1 } END { exit bad }' \
  "$TMP/pred.csv" || fail "Gaussian quantiles wrong: $(cat "$TMP/pred.csv")"
[ "$(wc -l < "$TMP/pred.csv")" -eq 6 ] || fail "expected 5 prediction rows"
# Every mean is a finite number in a plausible range and every std is positive.
awk -F, 'NR > 1 { if ($2 == "" || $2 < 0 || $2 > 5000 || !($3 > 0) || !($4 >= 0) || !($5 >= 0)) bad = 1 } END { exit bad }' \
  "$TMP/pred.csv" || fail "implausible predictions: $(cat "$TMP/pred.csv")"

# Same seed, same predictions (bit-identical text).
"$BIN" train "$TMP/train.csv" --target "yield strength" --model gp --kernel matern32 --seed 3 --calibrate --folds 3 \
  -o "$TMP/model2.h5" > /dev/null || fail "second train exited $?"
"$BIN" predict --model "$TMP/model2.h5" "$TMP/query.csv" -o "$TMP/pred2.csv" || fail "second predict"
cmp -s "$TMP/pred.csv" "$TMP/pred2.csv" || fail "predictions differ between identical runs"

# The tree models through the same commands: a saved model predicts what it predicted in memory, so
# two files trained alike give the same text; bad options are a usage error naming the key.
for spec in 'forest|{"trees":50}|{"tress":50}|tress' 'boost|{"rounds":100,"members":3,"min_samples_leaf":3}|{"round":100}|round'; do
  IFS='|' read -r model options bad_options bad_key <<< "$spec"
  for k in 1 2; do
    "$BIN" train "$TMP/train.csv" --target "yield strength" --model "$model" --options "$options" --seed 3 \
      --calibrate --folds 3 -o "$TMP/$model$k.h5" > /dev/null || fail "$model train $k exited $?"
    "$BIN" predict --model "$TMP/$model$k.h5" "$TMP/query.csv" -o "$TMP/$model$k.csv" || fail "$model predict $k"
  done
  cmp -s "$TMP/${model}1.csv" "$TMP/${model}2.csv" || fail "$model predictions differ between identical runs"
  awk -F, 'NR > 1 { if ($2 == "" || $2 < 0 || $2 > 5000 || !($3 > 0)) bad = 1 } END { exit bad }' \
    "$TMP/${model}1.csv" || fail "implausible $model predictions: $(cat "$TMP/${model}1.csv")"
  cmp -s "$TMP/${model}1.csv" "$TMP/pred.csv" && fail "the $model predicts exactly what the GP does"
  "$BIN" train "$TMP/train.csv" --target "yield strength" --model "$model" --options "$bad_options" -o "$TMP/bad.h5" 2> "$TMP/err.txt"
  rc=$?; [ $rc -ne 0 ] || fail "unknown $model option accepted"
  grep -q "$bad_key" "$TMP/err.txt" || fail "$model option error does not name the key: $(cat "$TMP/err.txt")"
  [ ! -e "$TMP/bad.h5" ] || fail "model written despite a bad $model option"
done
cmp -s "$TMP/forest1.csv" "$TMP/boost1.csv" && fail "boosting predicts exactly what the forest does"

# The default model is the auto engine: its columns add the conformal interval, and a saved model
# predicts what an identical one does (bit-identical text).
for k in 1 2; do
  "$BIN" train "$TMP/train.csv" --target "yield strength" --seed 3 -o "$TMP/auto$k.h5" > "$TMP/auto.out" \
    || fail "auto train $k exited $?"
  "$BIN" predict --model "$TMP/auto$k.h5" "$TMP/query.csv" -o "$TMP/auto$k.csv" || fail "auto predict $k"
done
cmp -s "$TMP/auto1.csv" "$TMP/auto2.csv" || fail "auto predictions differ between identical runs"
head -1 "$TMP/auto1.csv" | grep -q 'yield strength_q95,yield strength_conformal_lower,yield strength_conformal_upper,domain_score,in_domain$' \
  || fail "auto header: $(head -1 "$TMP/auto1.csv")"
# q05 <= median <= q95 and the conformal interval holds the median.
awk -F, 'NR > 1 { if (!($7 <= $6 && $6 <= $8 && $9 <= $6 && $6 <= $10)) bad = 1 } END { exit bad }' "$TMP/auto1.csv" \
  || fail "auto intervals out of order: $(cat "$TMP/auto1.csv")"

# Usage errors exit 1, data errors 2, and no output file is left behind.
"$BIN" train "$TMP/train.csv" --target "no such column" -o "$TMP/bad.h5" 2> "$TMP/err.txt"
rc=$?; [ $rc -ne 0 ] || fail "unknown target accepted"
[ ! -e "$TMP/bad.h5" ] || fail "model written despite an error"
"$BIN" train "$TMP/train.csv" --target "yield strength" --model gp --kernel cubic -o "$TMP/bad.h5" 2> "$TMP/err.txt"
[ $? -eq 1 ] || fail "unknown kernel should exit 1"
grep -q "matern52" "$TMP/err.txt" || fail "kernel error does not list valid names: $(cat "$TMP/err.txt")"
"$BIN" predict --model "$TMP/missing.h5" "$TMP/query.csv" -o "$TMP/p.csv" 2> /dev/null
[ $? -eq 2 ] || fail "missing model file should exit 2"
echo "ok"
