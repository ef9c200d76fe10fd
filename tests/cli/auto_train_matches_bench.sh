#!/usr/bin/env bash
# What the benchmark scores is what a user gets: `matopt train` (default model, the auto engine) on
# one Matbench fold's training rows plus `matopt predict` on its test rows reproduce that fold's
# `bench matbench` point predictions exactly. $1 = matopt binary, $2 = data dir.
set -u
BIN="$1"
DATA="$2"
PY=/usr/bin/python3
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
CSV="$DATA/matbench/matbench_steels.csv"
FOLDS="$DATA/matbench/matbench_steels.folds.json"

"$BIN" bench matbench --task matbench_steels --folds 1 -o "$TMP/bench.json" > "$TMP/bench.out" 2>&1 \
  || fail "bench exited $?: $(cat "$TMP/bench.out")"

# The fold's rows as two CSV files, in dataset order (what a user would cut from the table).
"$PY" - "$CSV" "$FOLDS" "$TMP" <<'PY' || fail "could not split the fold"
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
header, body = rows[0], rows[1:]
test = set(json.load(open(sys.argv[2]))["folds"][1]["test"])
with open(sys.argv[3] + "/train.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(header); w.writerows(r for i, r in enumerate(body) if i not in test)
with open(sys.argv[3] + "/test.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(["id", header[0]]); w.writerows([str(i), r[0]] for i, r in enumerate(body) if i in test)
PY

# The benchmark fixes the `fractions` columns to the dataset's elements; so does --elements here.
"$BIN" featurize "$CSV" --features fractions -o "$TMP/fractions.csv" > /dev/null 2>&1 || fail "featurize"
ELEMENTS="$(head -1 "$TMP/fractions.csv" | cut -d, -f2-)"
"$BIN" train "$TMP/train.csv" --target "yield strength" --elements "$ELEMENTS" -o "$TMP/model.h5" > "$TMP/train.out" 2>&1 \
  || fail "train exited $?: $(cat "$TMP/train.out")"
"$BIN" predict --model "$TMP/model.h5" "$TMP/test.csv" --id id -o "$TMP/pred.csv" > /dev/null 2>&1 || fail "predict exited $?"

"$PY" - "$TMP/bench.json" "$TMP/pred.csv" <<'PY' || fail "train + predict differ from the benchmark's fold"
import csv, json, sys
fold = json.load(open(sys.argv[1]))["folds"][0]
bench = {int(k): v for k, v in fold["predictions"].items()}
rows = list(csv.DictReader(open(sys.argv[2], newline="")))
assert len(rows) == len(bench), (len(rows), len(bench))
for r in rows:
    b = bench[int(r["id"])]
    # the benchmark's point prediction is the median; its σ the distribution's summary σ
    if float(r["yield strength_median"]) != b["mean"]:
        sys.exit("row %s: predict median %s, bench %r" % (r["id"], r["yield strength_median"], b["mean"]))
print("ok: %d rows identical, model %s" % (len(rows), fold["model"]))
PY
echo "ok"
