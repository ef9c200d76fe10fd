#!/usr/bin/env bash
# CLI test of the campaign loop on a tiny space: init -> propose -> ingest (twice) -> bad ingest ->
# lock contention -> status -> report. $1 = matopt binary, $2 = data dir (unused).
set -euo pipefail
matopt=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }

cat > space.json <<'EOF'
{"composition": {"elements": ["Ni", "Fe", "Co"], "granularity": 0.1},
 "process": [{"name": "T", "type": "continuous", "bounds": [300, 600]}],
 "objectives": [{"name": "eta", "goal": "minimize", "unit": "V"}]}
EOF
printf 'composition,T,eta [V]\nNi0.5Fe0.5,400,0.41\nNi0.2Co0.8,500,0.52\nFe1,350,0.60\nNi0.1Fe0.2Co0.7,450,0.47\n' > history.csv

"$matopt" init c.h5 --space space.json --history history.csv --seed 3 | grep -q "4 prior measurements" || fail "init"
"$matopt" init c.h5 --space space.json 2>/dev/null && fail "init must refuse to overwrite"

"$matopt" propose c.h5 --batch 2 -o next.csv --raw-samples 128 --model-options '{"restarts": 1}' > propose.out
head -1 next.csv | grep -qx 'id,composition,Ni,Fe,Co,T,eta \[V\],status' || fail "lab CSV header: $(head -1 next.csv)"
[ "$(wc -l < next.csv)" -eq 3 ] || fail "expected 2 proposals"
grep -q '^r001-01,' next.csv || fail "proposal ids"

# The "lab": fill in eta (column 7) and status.
awk -F, -v OFS=, 'NR == 1 { print; next } { $7 = 0.3 + NR / 100; $8 = "ok"; print }' next.csv > results.csv
"$matopt" ingest c.h5 results.csv | grep -q "2 new measurements" || fail "ingest"
sum=$(md5sum < c.h5)
"$matopt" ingest c.h5 results.csv | grep -q "nothing new" || fail "re-ingest must be a no-op"
[ "$(md5sum < c.h5)" = "$sum" ] || fail "re-ingest changed the file"

# Bad input: every problem listed, exit code 2, file untouched.
printf 'id,eta [V],status\nr999-01,0.4,ok\nr001-01,abc,ok\n' > bad.csv
set +e
"$matopt" ingest c.h5 bad.csv 2> bad.err
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "bad ingest exit code $rc"
grep -q "row 2, column 'id'" bad.err || fail "unknown id not reported: $(cat bad.err)"
grep -q "row 3, column 'eta \[V\]'" bad.err || fail "text in numeric cell not reported"
[ "$(md5sum < c.h5)" = "$sum" ] || fail "bad ingest changed the file"

# Lock contention: another holder keeps the lock; the command gives up with a clear message.
flock c.h5.lock sleep 3 &
holder=$!
sleep 0.3
set +e
MATOPT_LOCK_TIMEOUT=0.3 "$matopt" propose c.h5 --batch 1 -o x.csv 2> lock.err
rc=$?
set -e
wait "$holder"
[ "$rc" -eq 2 ] || fail "locked propose exit code $rc"
grep -q "in use by another matopt command" lock.err || fail "lock message: $(cat lock.err)"

"$matopt" status c.h5 --json > status.json
grep -q '"rounds": 1' status.json || fail "status rounds"
grep -q '"measurements": 6' status.json || fail "status measurements"
"$matopt" report c.h5 -o rep | grep -q index.html || fail "report"
grep -q "<svg" rep/index.html || fail "report has no SVG"
[ -f rep/measurements.csv ] && [ -f rep/cv_0.csv ] && [ -f rep/calibration.csv ] || fail "report tables"
echo "campaign_loop: ok"
