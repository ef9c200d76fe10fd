#!/usr/bin/env bash
# `kill -9` of `matopt propose` while its oracle runs: the campaign file stays byte-identical, the
# oracle process dies with matopt (PR_SET_PDEATHSIG), and the next propose works and uses the cache.
# $1 = matopt binary, $2 = data dir.
set -euo pipefail
matopt=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }

# s = 10 x_Ni; slow (exec sleep, so the oracle is the process whose pid it writes) while ./slow exists.
cat > oracle.sh <<'EOF2'
echo "$$" > oracle.pid
if [ -e slow ]; then exec sleep 60; fi
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "Ni") c = i; print "s"; next } { print 10 * $c }'
EOF2
cat > space.json <<'EOF2'
{"composition": {"elements": ["Ni", "Fe", "Co"], "granularity": 0.1},
 "objectives": [{"name": "hardness"}],
 "output_constraints": [{"name": "s", "max": 5}],
 "oracles": [{"name": "calc", "command": ["sh", "oracle.sh"], "outputs": ["s"], "timeout_s": 120}]}
EOF2
printf 'composition,hardness\nNi0.1Fe0.9,1\nNi0.2Co0.8,2\nFe0.5Co0.5,3\nNi0.3Fe0.3Co0.4,2.5\n' > history.csv
"$matopt" init c.h5 --space space.json --history history.csv --seed 3 > /dev/null || fail "init"
cp c.h5 before.h5

touch slow
rm -f oracle.pid
"$matopt" propose c.h5 --batch 2 -o next.csv --raw-samples 64 --min-measurements 2 > propose.log 2>&1 &
pid=$!
for _ in $(seq 1 200); do [ -s oracle.pid ] && break; sleep 0.05; done
[ -s oracle.pid ] || fail "the oracle never started: $(cat propose.log)"
opid=$(cat oracle.pid)
kill -0 "$opid" 2>/dev/null || fail "oracle $opid is not running"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
for _ in $(seq 1 100); do alive "$opid" || break; sleep 0.05; done
alive "$opid" && { kill -9 "$opid"; fail "the oracle ($opid) outlived the killed propose"; }
cmp -s c.h5 before.h5 || fail "the campaign file changed after kill -9 of propose"
[ ! -e next.csv ] || fail "next.csv was written by the killed propose"

rm slow
"$matopt" propose c.h5 --batch 2 -o next.csv --raw-samples 64 --min-measurements 2 > /dev/null || fail "propose after the kill"
[ "$(wc -l < next.csv)" -eq 3 ] || fail "expected 2 proposals: $(cat next.csv)"
cmp -s c.h5 before.h5 && fail "the second propose did not save"
head -1 next.csv | grep -q ',s,\|,s$' && fail "the lab sheet asks for the oracle output: $(head -1 next.csv)"
# The oracle-backed constraint holds for every proposal (column 3 = Ni).
awk -F, 'NR > 1 && $3 * 10 > 5 + 1e-9 { bad = 1; print "violates: " $0 } END { exit bad }' next.csv || fail "s <= 5 violated"

# A results file with a column for the oracle output is refused, naming the column and the oracle.
id=$(awk -F, 'NR == 2 { print $1 }' next.csv)
printf 'id,hardness,s\n%s,4,1\n' "$id" > bad.csv
set +e
"$matopt" ingest c.h5 bad.csv 2> bad.err
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "ingest with an oracle column: exit $rc, expected 2"
grep -q "column 's'.*computed by oracle 'calc'" bad.err || fail "message does not name the column and oracle: $(cat bad.err)"
echo "oracle_kill: ok"
