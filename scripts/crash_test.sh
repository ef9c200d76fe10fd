#!/usr/bin/env bash
# Crash test: runs a campaign for ROUNDS rounds while SIGKILLing `matopt propose` / `matopt ingest`
# at seeded random moments, then checks with `matopt status --json` and h5py that the campaign file is
# readable after every kill, that every acknowledged measurement (ingest exited 0) is in the file with
# its value, and that none is duplicated.
#
# usage: scripts/crash_test.sh [MATOPT_BINARY]   (default build/bin/matopt)
# env:   ROUNDS (default 30), SEED (default 1), KILL_PROB (percent of commands killed, default 60),
#        DELAY_PERCENT (scales the random kill delays, default 100),
#        PYTHON (a python3 with h5py, default /usr/bin/python3)
set -euo pipefail
matopt=$(realpath "${1:-build/bin/matopt}")
rounds=${ROUNDS:-30}
seed=${SEED:-1}
kill_prob=${KILL_PROB:-60}
delay_percent=${DELAY_PERCENT:-100}  # scales the kill delays: lower it on a fast, idle machine
python=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
RANDOM=$seed  # bash's generator is deterministic for a given seed
fail() { echo "FAIL: $*" >&2; exit 1; }

cat > space.json <<'JSON'
{"composition": {"elements": ["Ni", "Fe", "Co"], "granularity": 0.05},
 "process": [{"name": "T", "type": "continuous", "bounds": [300, 600]}],
 "objectives": [{"name": "eta", "goal": "minimize", "unit": "V"}]}
JSON
printf 'composition,T,eta [V]\nNi0.5Fe0.5,400,0.41\nNi0.2Co0.8,500,0.52\nFe1,350,0.60\nNi0.1Fe0.2Co0.7,450,0.47\n' > history.csv
"$matopt" init c.h5 --space space.json --history history.csv --seed "$seed" > /dev/null

kills=0        # commands that were still running when SIGKILL arrived
attempts=0
: > acked.csv  # proposal_id,eta of every row of an ingest that exited 0

check_readable() {
  "$matopt" status c.h5 --json > status.json 2> status.err || fail "status after a kill: $(cat status.err)"
}

# run_maybe_killed MAX_DELAY_MS CMD...: runs CMD; with probability KILL_PROB sends SIGKILL after a
# random delay in [0, MAX_DELAY_MS]. Sets $rc (137 when killed) and bumps $kills.
run_maybe_killed() {
  local max_ms=$(( $1 * delay_percent / 100 )); shift
  attempts=$((attempts + 1))
  local doom=$((RANDOM % 100)) delay_ms=$(( (RANDOM * 32768 + RANDOM) % (max_ms + 1) ))
  "$@" > cmd.out 2> cmd.err &
  local pid=$!
  if [ "$doom" -lt "$kill_prob" ]; then
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    if kill -KILL "$pid" 2> /dev/null; then kills=$((kills + 1)); fi
  fi
  set +e
  { wait "$pid"; } 2> /dev/null  # keep bash's "Killed" job notice out of the output
  rc=$?
  set -e
}

for round in $(seq 1 "$rounds"); do
  # propose until one run completes; each killed run must leave a readable file.
  while :; do
    rm -f next.csv
    run_maybe_killed 1500 "$matopt" propose c.h5 --batch 2 -o next.csv --raw-samples 64 \
      --model-options '{"restarts": 1}'
    [ "$rc" -eq 0 ] && break
    [ "$rc" -eq 137 ] || fail "propose exited $rc: $(cat cmd.err)"
    check_readable
  done
  [ -s next.csv ] || fail "propose exited 0 without writing next.csv"
  # the "lab": a value that identifies round and row, so a lost or swapped row is detected
  awk -F, -v OFS=, -v r="$round" 'NR == 1 { print; next } { $7 = sprintf("%.4f", 0.3 + r / 1000 + NR / 100000); $8 = "ok"; print }' \
    next.csv > results.csv
  # ingest until acknowledged; a re-run after a kill that had already committed must add nothing new.
  while :; do
    run_maybe_killed 600 "$matopt" ingest c.h5 results.csv
    [ "$rc" -eq 0 ] && break
    [ "$rc" -eq 137 ] || fail "ingest exited $rc: $(cat cmd.err)"
    check_readable
  done
  awk -F, 'NR > 1 { print $1 "," $7 }' results.csv >> acked.csv
done

check_readable
"$python" - "$tmp/c.h5" "$tmp/acked.csv" <<'PY'
import sys, collections
import h5py
path, acked_path = sys.argv[1], sys.argv[2]
acked = [l.strip().split(",") for l in open(acked_path) if l.strip()]
with h5py.File(path, "r") as f:
    assert f.attrs["format"] in (b"matopt-campaign", "matopt-campaign"), dict(f.attrs)
    m = f["measurements"]
    n = int(m.attrs["count"])
    dec = lambda a: [x.decode() if isinstance(x, bytes) else x for x in a]
    pid = dec(m["proposal_id"][:])
    ids = dec(m["id"][:])
    eta = m["outputs"][:, 0]
assert len(ids) == n == len(set(ids)), "measurement ids not unique or count wrong"
answered = [p for p in pid if p]
dups = [p for p, c in collections.Counter(answered).items() if c > 1]
assert not dups, "duplicated measurements for proposals %s" % dups[:5]
value = {p: e for p, e in zip(pid, eta)}
lost = [a for a in acked if a[0] not in value]
assert not lost, "acknowledged measurements lost: %s" % lost[:5]
wrong = [a for a in acked if abs(value[a[0]] - float(a[1])) > 1e-12]
assert not wrong, "acknowledged values changed: %s" % wrong[:5]
extra = len(answered) - len(acked)
assert extra == 0, "%d measurements that were never acknowledged" % extra
assert n == 4 + len(acked), "expected %d measurements, found %d" % (4 + len(acked), n)
print("h5py: %d measurements (4 history + %d acknowledged), no loss, no duplicates" % (n, len(acked)))
PY
grep -q "\"measurements\": $((4 + $(wc -l < acked.csv)))" status.json || fail "status --json measurement count: $(grep measurements status.json)"
leftovers=$(ls -A | grep -v -x -e c.h5 -e c.h5.lock -e space.json -e history.csv -e next.csv -e results.csv \
  -e acked.csv -e status.json -e status.err -e cmd.out -e cmd.err || true)
echo "crash test: $rounds rounds, $attempts commands, $kills killed mid-run, seed $seed: OK"
[ -z "$leftovers" ] || echo "note: files left behind by killed commands: $(echo $leftovers | tr '\n' ' ')"
