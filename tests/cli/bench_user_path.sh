#!/usr/bin/env bash
# The benchmarks run the user's loop: a lab script driving `matopt init / propose / ingest` with CSV
# files (bench/campaign_cli.py) replays `bench campaign` and `bench bo` repeats with the same seeds
# and makes identical proposals. $1 = matopt binary, $2 = data dir.
set -euo pipefail
matopt=$1
data=$2
script="$(dirname "$data")/bench/campaign_cli.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }
opts='{"restarts": 1}'

# One objective, pool-based (Liang protocol): 2 initial rows, then 6 proposals.
"$matopt" bench campaign --dataset "$data/sdl/liang2021_p3ht_cnt.csv" --config "$data/sdl/liang2021_p3ht_cnt.config.json" \
  --budget 8 --repeats 2 --random-repeats 10 --model-options "$opts" --seed 4 -o bench.json > bench.out
/usr/bin/python3 "$script" pool --matopt "$matopt" --dataset "$data/sdl/liang2021_p3ht_cnt.csv" \
  --config "$data/sdl/liang2021_p3ht_cnt.config.json" --budget 8 --replay bench.json \
  --propose-args "--model-options '$opts'" -o cli.json > cli.out
/usr/bin/python3 - <<'PY' || fail "bench campaign and the CLI loop proposed different rows"
import json
b = json.load(open("bench.json")); c = json.load(open("cli.json"))
assert len(b["bo_pool_rows"]) == 2 and all(len(r) == 8 for r in b["bo_pool_rows"]), b["bo_pool_rows"]
assert b["bo_pool_rows"] == c["bo_pool_rows"], (b["bo_pool_rows"], c["bo_pool_rows"])
assert b["campaign_seeds"] == c["campaign_seeds"]
PY
grep -q "strategy ucb" bench.out || fail "bench campaign must use propose's default strategy: $(cat bench.out)"

# Two objectives, continuous (DTLZ2): the campaign's Sobol start, then q = 4 batches.
"$matopt" bench bo --problem dtlz2 --budget 12 --batch 4 --repeats 1 --no-baselines --raw-samples 64 \
  --model-options "$opts" --seed 2 -o bo.json > bo.out
/usr/bin/python3 "$script" dtlz2 --matopt "$matopt" --budget 12 --batch 4 --replay bo.json \
  --propose-args "--raw-samples 64 --model-options '$opts'" -o cli_bo.json > cli_bo.out
/usr/bin/python3 - <<'PY' || fail "bench bo and the CLI loop proposed different points"
import json
b = json.load(open("bo.json")); c = json.load(open("cli_bo.json"))
run = [r for r in b["runs"] if "points" in r][0]
assert run["method"] == "qnehvi", run["method"]
assert len(run["points"]) == 12
assert run["points"] == c["points"][0], (run["points"], c["points"][0])
PY
echo "ok"
