#!/usr/bin/env bash
# `matopt screen`: the best K of a whole grid are the same for 1 and 3 threads, block sizes 1 and
# 4096, and (where mpirun exists) 1 and 3 MPI processes; --count is exact and instant for a grid of
# 10^12 points, which `propose --enumerate` refuses with a pointer to screen; the written ranking
# agrees with `matopt predict` on the same rows. $1 = matopt binary, $2 = data dir.
set -euo pipefail
matopt=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }

# 4 of 6 elements at 5 %, one categorical process parameter, a linear constraint.
cat > space.json <<'EOF2'
{"composition": {"elements": ["Fe", "Ni", "Co", "Cr", "Mn", "Al"], "granularity": 0.05, "max_components": 4,
                 "bounds": {"Al": [0, 0.2]}},
 "process": [{"name": "anneal", "type": "categorical", "categories": ["none", "900C"]}],
 "linear_constraints": [{"terms": {"Ni": 1, "Co": 1}, "<=": 0.5}],
 "objectives": [{"name": "hardness", "goal": "maximize"}]}
EOF2
# 40 training rows: hardness grows with Cr and Al, and with annealing.
awk 'BEGIN { srand(7); print "composition,anneal,hardness";
  for (i = 0; i < 40; i++) { fe = 0.2 + 0.4 * rand(); cr = 0.3 * rand(); al = 0.15 * rand(); ni = 1 - fe - cr - al;
    a = (rand() < 0.5) ? "none" : "900C";
    printf "Fe%.3fNi%.3fCr%.3fAl%.3f,%s,%.3f\n", fe, ni, cr, al, a, 150 + 300 * cr + 500 * al + (a == "900C" ? 40 : 0) }}' > train.csv
"$matopt" train train.csv --target hardness --process anneal --model forest --options '{"trees": 50}' -o forest.h5 2> /dev/null > /dev/null || fail "train forest"
"$matopt" train train.csv --target hardness --process anneal --model gp --options '{"restarts": 1}' -o gp.h5 2> /dev/null > /dev/null || fail "train gp"

# --count: exact by counting (a linear constraint: it enumerates and says so).
"$matopt" screen --count --space space.json > count.txt 2> count.err || fail "count: $(cat count.err)"
grep -q "must be enumerated" count.txt || fail "count did not say it enumerates: $(cat count.txt)"
feasible=$(sed -n 's/^feasible: \([0-9]*\) of.*/\1/p' count.txt)
[ -n "$feasible" ] || fail "no feasible count: $(cat count.txt)"

for model in forest gp; do
  "$matopt" screen $model.h5 --space space.json --top 20 --threads 1 -o a.csv 2> a.err || fail "screen $model: $(cat a.err)"
  grep -q "ranking 'hardness' (maximized, the space's objective)" a.err || fail "target guess not printed: $(cat a.err)"
  grep -q "'anneal' takes all its 2 categories" a.err || fail "grid guess not printed: $(cat a.err)"
  grep -q " $feasible feasible" a.err || fail "screen and --count disagree on the feasible count: $(cat a.err)"
  [ "$(wc -l < a.csv)" -eq 21 ] || fail "expected 20 rows"
  "$matopt" screen $model.h5 --space space.json --top 20 --threads 3 --block 1 -o b.csv 2> /dev/null
  cmp -s a.csv b.csv || fail "$model: 1 thread / block 4096 and 3 threads / block 1 differ"
  if command -v mpirun > /dev/null && ldd "$matopt" | grep libmpi >/dev/null; then  # an MPI build (MATOPT_WITH_MPI)
    root=(); [ "$(id -u)" -eq 0 ] && root=(--allow-run-as-root)
    for np in 1 3; do
      OMPI_MCA_rmaps_base_oversubscribe=1 mpirun "${root[@]}" --oversubscribe -np $np "$matopt" screen $model.h5 --space space.json \
        --top 20 --threads 1 -o m$np.csv 2> mpi.err || fail "mpirun -np $np: $(cat mpi.err)"
      cmp -s a.csv m$np.csv || fail "$model: mpirun -np $np differs from one process"
    done
  fi
  # Best first, and each row's mean is what `matopt predict` gives for that point.
  awk -F, 'NR > 2 && $NF > prev + 1e-12 { bad = 1 } NR > 1 { prev = $NF } END { exit bad }' a.csv || fail "not sorted by score"
  cut -d, -f3,4 a.csv > rows.csv
  "$matopt" predict --model $model.h5 rows.csv -o p.csv 2> /dev/null || fail "predict"
  paste -d, <(cut -d, -f5 a.csv | tail -n +2) <(cut -d, -f2 p.csv | tail -n +2) |
    awk -F, '{ d = $1 - $2; if (d < 0) d = -d; if (d > 1e-9 * (1 + ($1 < 0 ? -$1 : $1))) { bad = 1; print } } END { exit bad }' ||
    fail "$model: screen's means differ from predict's"
done

# propose --enumerate scores exactly the feasible grid points as its pool.
"$matopt" init small.h5 --space space.json --history train.csv --seed 3 > /dev/null 2>&1 || fail "init small"
"$matopt" -v propose small.h5 --batch 3 --enumerate -o enum.csv --model-options '{"restarts": 1}' > /dev/null 2> enum.err ||
  fail "propose --enumerate: $(cat enum.err)"
grep -q "scoring all $feasible feasible grid points" enum.err || fail "propose --enumerate did not score the grid: $(cat enum.err)"
[ "$(wc -l < enum.csv)" -eq 4 ] || fail "expected 3 proposals: $(cat enum.csv)"

# 10^12 points: counted instantly, refused by propose's pool path with a pointer to screen.
cat > big.json <<'EOF2'
{"composition": {"elements": ["Fe", "Ni", "Co", "Cr", "Mn", "Al", "Ti", "Cu", "V", "Mo", "W", "Nb"], "granularity": 0.01,
                 "max_components": 7},
 "objectives": [{"name": "hardness"}]}
EOF2
"$matopt" screen --count --space big.json > big.txt || fail "count big"
grep -q "^feasible: 956606655621 (every grid point" big.txt || fail "big count: $(cat big.txt)"
"$matopt" init big.h5 --space big.json > /dev/null
sum=$(sha256sum big.h5)
set +e
"$matopt" propose big.h5 --batch 2 --enumerate -o next.csv 2> big.err
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "propose --enumerate accepted 9.6e11 points"
grep -q "956606655621 points" big.err && grep -q "matopt screen" big.err || fail "refusal does not point to screen: $(cat big.err)"
[ "$(sha256sum big.h5)" = "$sum" ] || fail "refused propose changed the campaign file"

# Refusals name what is wrong.
set +e
"$matopt" screen forest.h5 --space space.json --score ucb -o x.csv 2> e1.err; r1=$?
"$matopt" screen forest.h5 --space big.json -o x.csv 2> e2.err; r2=$?
set -e
[ "$r1" -eq 1 ] && grep -q "expected mean, ucb:BETA" e1.err || fail "bad score: $(cat e1.err)"
[ "$r2" -ne 0 ] && grep -q "process column 'anneal'" e2.err || fail "model/space mismatch: $(cat e2.err)"
[ ! -e x.csv ] || fail "a refused screen wrote its output"
echo "screen: ok"
