#!/usr/bin/env bash
# Concurrency test: several `matopt ingest` / `matopt propose` / `matopt status` processes on one
# campaign at once. Every process must either complete (exit 0) or refuse cleanly (exit 2 with the
# "in use by another matopt command" message), and the final campaign must equal a serial execution of
# the commands that completed (compared with h5py: measurements as a set of their contents, proposals
# exactly; ids in arrival order, times and command lines are not compared).
#
# usage: scripts/concurrency_test.sh [MATOPT_BINARY]   (default build/bin/matopt)
# env:   PYTHON (python3 with h5py, default /usr/bin/python3), SEED (default 5)
set -euo pipefail
matopt=$(realpath "${1:-build/bin/matopt}")
python=${PYTHON:-/usr/bin/python3}
seed=${SEED:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }
propose_args=(--batch 1 --raw-samples 64 --model-options '{"restarts": 1}')

cat > space.json <<'JSON'
{"composition": {"elements": ["Ni", "Fe", "Co"], "granularity": 0.05},
 "process": [{"name": "T", "type": "continuous", "bounds": [300, 600]}],
 "objectives": [{"name": "eta", "goal": "minimize", "unit": "V"}]}
JSON
printf 'composition,T,eta [V]\nNi0.5Fe0.5,400,0.41\nNi0.2Co0.8,500,0.52\nFe1,350,0.60\nNi0.1Fe0.2Co0.7,450,0.47\n' > history.csv
"$matopt" init base.h5 --space space.json --history history.csv --seed "$seed" > /dev/null
"$matopt" propose base.h5 --batch 6 -o lab.csv --raw-samples 64 --model-options '{"restarts": 1}' > /dev/null
awk -F, -v OFS=, 'NR == 1 { print; next } { $7 = sprintf("%.4f", 0.3 + NR / 100); $8 = "ok"; print }' lab.csv > all.csv
# three disjoint results files (2 rows each) and one that repeats part of the first (idempotent re-ingest)
for k in 1 2 3; do { head -1 all.csv; sed -n "$((2 * k)),$((2 * k + 1))p" all.csv; } > part$k.csv; done
{ head -1 all.csv; sed -n 2p all.csv; } > again1.csv

dump() {  # canonical content of a campaign file
  "$python" - "$1" <<'PY'
import sys, h5py
dec = lambda a: [x.decode() if isinstance(x, bytes) else str(x) for x in a]
with h5py.File(sys.argv[1], "r") as f:
    print("rounds", f.attrs["rounds"])
    m = f["measurements"]
    rows = []
    if int(m.attrs["count"]):
        cols = [dec(m[k][:]) for k in ("proposal_id", "formula", "status", "key")]
        pts, outs = m["point"][:], m["outputs"][:]
        for i in range(len(cols[0])):
            rows.append("M %s | %s | %s | %s | %s | %s" % (cols[0][i], cols[1][i], cols[2][i], cols[3][i],
                        " ".join(repr(float(v)) for v in pts[i]), " ".join(repr(float(v)) for v in outs[i])))
    p = f["proposals"]
    if int(p.attrs["count"]):
        ids, st, fo = dec(p["id"][:]), dec(p["state"][:]), dec(p["formula"][:])
        pts = p["point"][:]
        for i in range(len(ids)):
            rows.append("P %s | %s | %s | %s" % (ids[i], st[i], fo[i], " ".join(repr(float(v)) for v in pts[i])))
    for r in sorted(rows):
        print(r)
PY
}

# launch CMD... in the background, remembering pid and a label
pids=(); labels=()
launch() { local label=$1; shift; "$@" > "$label.out" 2> "$label.err" & pids+=($!); labels+=("$label"); }
# waits for all; prints the labels that completed; fails on any exit other than 0 or a clean refusal
collect() {
  local i rc
  : > completed
  for i in "${!pids[@]}"; do
    set +e; wait "${pids[$i]}"; rc=$?; set -e
    if [ "$rc" -eq 0 ]; then echo "${labels[$i]}" >> completed
    elif [ "$rc" -eq 2 ] && grep -q "in use by another matopt command" "${labels[$i]}.err"; then :
    else fail "${labels[$i]} exited $rc: $(cat "${labels[$i]}.err")"; fi
  done
  pids=(); labels=()
}

# --- 1: ingests (disjoint + a duplicate) and status readers at once, waiting for the lock ---------
cp base.h5 c1.h5
launch i1 "$matopt" ingest c1.h5 part1.csv
launch i2 "$matopt" ingest c1.h5 part2.csv
launch i3 "$matopt" ingest c1.h5 part3.csv
launch i4 "$matopt" ingest c1.h5 again1.csv
launch s1 "$matopt" status c1.h5 --json
launch s2 "$matopt" status c1.h5
collect
[ "$(wc -l < completed)" -eq 6 ] || fail "case 1: only $(wc -l < completed)/6 completed with the default lock timeout"
# serial execution in one order (the row repeated in again1.csv must be answered once, whatever the
# interleaving).
cp base.h5 s1.h5
for f in part1 part2 part3 again1; do "$matopt" ingest s1.h5 $f.csv > /dev/null; done
dump c1.h5 > c1.txt; dump s1.h5 > s1.txt
diff s1.txt c1.txt > /dev/null || fail "case 1: concurrent ingests differ from serial: $(diff s1.txt c1.txt | head)"

# --- 2: identical proposes at once: any serial order gives the same rounds ----------------------
cp base.h5 c2.h5
for k in 1 2 3; do launch p$k "$matopt" propose c2.h5 "${propose_args[@]}" -o p$k.csv; done
collect
[ "$(wc -l < completed)" -eq 3 ] || fail "case 2: only $(wc -l < completed)/3 proposes completed"
cp base.h5 s2.h5
for k in 1 2 3; do "$matopt" propose s2.h5 "${propose_args[@]}" -o sp$k.csv > /dev/null; done
dump c2.h5 > c2.txt; dump s2.h5 > s2.txt
diff s2.txt c2.txt > /dev/null || fail "case 2: concurrent proposes differ from serial: $(diff s2.txt c2.txt | head)"

# --- 3: ingest and propose at once: equal to one of the two serial orders ------------------------
cp base.h5 c3.h5
launch i "$matopt" ingest c3.h5 all.csv
launch p "$matopt" propose c3.h5 "${propose_args[@]}" -o p.csv
collect
[ "$(wc -l < completed)" -eq 2 ] || fail "case 3: a command did not complete"
cp base.h5 a.h5; "$matopt" ingest a.h5 all.csv > /dev/null; "$matopt" propose a.h5 "${propose_args[@]}" -o a.csv > /dev/null
cp base.h5 b.h5; "$matopt" propose b.h5 "${propose_args[@]}" -o b.csv > /dev/null; "$matopt" ingest b.h5 all.csv > /dev/null
dump c3.h5 > c3.txt; dump a.h5 > a.txt; dump b.h5 > b.txt
diff -q a.txt c3.txt > /dev/null || diff -q b.txt c3.txt > /dev/null || fail "case 3: state matches no serial order"

# --- 4: no waiting (MATOPT_LOCK_TIMEOUT=0): some refuse; the state equals the completed ones, serially
cp base.h5 c4.h5
for k in 1 2 3; do MATOPT_LOCK_TIMEOUT=0 launch j$k "$matopt" ingest c4.h5 part$k.csv; done
collect
refused=$((3 - $(wc -l < completed)))
cp base.h5 s4.h5
while read -r label; do "$matopt" ingest s4.h5 "part${label#j}.csv" > /dev/null; done < completed
dump c4.h5 > c4.txt; dump s4.h5 > s4.txt
diff s4.txt c4.txt > /dev/null || fail "case 4: state differs from the completed ingests run serially"
echo "concurrency test: OK (case 4: $refused of 3 ingests refused cleanly with no wait)"
