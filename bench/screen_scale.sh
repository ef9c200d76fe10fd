#!/usr/bin/env bash
# Rates of `matopt screen` per core, thread and MPI-process scaling, and peak memory, on the
# 5-of-10-elements-at-1 % grid (982,147,627 points) with a GP and a forest trained on 200 rows.
# Usage: bench/screen_scale.sh [--matopt build/bin/matopt] [--points 2000000] [--workdir DIR]
# Prints one line per run; docs/scale.md quotes them. Not a test: figures depend on the machine.
set -euo pipefail
matopt=build/bin/matopt
points=2000000
workdir=$(mktemp -d)
while (($#)); do
  case "$1" in
    --matopt) matopt=$2; shift 2 ;;
    --points) points=$2; shift 2 ;;
    --workdir) workdir=$2; shift 2 ;;
    *) echo "usage: $0 [--matopt PATH] [--points N] [--workdir DIR]" >&2; exit 2 ;;
  esac
done
matopt=$(realpath "$matopt")
mkdir -p "$workdir"
cd "$workdir"

cat > space.json <<'EOF'
{"composition": {"elements": ["Fe","Ni","Co","Cr","Mn","Al","Ti","Cu","V","Mo"],
                 "granularity": 0.01, "max_components": 5},
 "objectives": [{"name": "y", "goal": "maximize"}]}
EOF

# 200 training rows: random 5-element grid compositions, y a smooth function of the fractions.
/usr/bin/python3 - <<'EOF'
import random, math
random.seed(7)
els = ["Fe","Ni","Co","Cr","Mn","Al","Ti","Cu","V","Mo"]
w = [0.8, -0.3, 0.5, 1.1, -0.7, 1.6, -1.2, 0.2, 0.9, -0.4]
with open("train.csv", "w") as f:
    f.write("formula,y\n")
    for _ in range(200):
        chosen = random.sample(range(10), 5)
        cuts = sorted(random.sample(range(1, 100), 4))
        units = [b - a for a, b in zip([0] + cuts, cuts + [100])]
        x = [0.0] * 10
        for i, u in zip(chosen, units):
            x[i] = u / 100
        y = sum(wi * xi for wi, xi in zip(w, x)) + math.sin(6 * x[5]) - 2 * (x[0] - 0.3) ** 2
        f.write("".join(f"{els[i]}{x[i]:.2f}" for i in chosen) + f",{y:.6f}\n")
EOF

"$matopt" screen --space space.json --count
for model in gp forest; do
  [ -f "$model.h5" ] || "$matopt" train train.csv --target y --model "$model" --seed 0 -o "$model.h5" >/dev/null
done

mpirun_cmd=()
if command -v mpirun >/dev/null && ldd "$matopt" | grep libmpi >/dev/null; then
  mpirun_cmd=(mpirun --oversubscribe)
  [ "$(id -u)" -eq 0 ] && mpirun_cmd+=(--allow-run-as-root)
fi

run() {  # label, then the command; prints the screen summary line and the peak RSS
  local label=$1; shift
  /usr/bin/time -f "%e s wall, %U s user, %M KB peak RSS (per process)" "$@" 2> err.txt >/dev/null || { cat err.txt; exit 1; }
  printf '%-28s %s | %s\n' "$label" "$(grep -o 'scored in.*' err.txt | head -1)" "$(tail -1 err.txt)"
}

for model in gp forest; do
  run "$model 1 thread" "$matopt" screen "$model.h5" --space space.json --range "0:$points" --threads 1 --top 100 -o "top_${model}_t1.csv"
  run "$model 2 threads" "$matopt" screen "$model.h5" --space space.json --range "0:$points" --threads 2 --top 100 -o "top_${model}_t2.csv"
  cmp "top_${model}_t1.csv" "top_${model}_t2.csv"
  if ((${#mpirun_cmd[@]})); then
    run "$model mpirun -np 2" "${mpirun_cmd[@]}" -np 2 "$matopt" screen "$model.h5" --space space.json --range "0:$points" --threads 1 --top 100 -o "top_${model}_np2.csv"
    cmp "top_${model}_t1.csv" "top_${model}_np2.csv"
  fi
done
echo "outputs identical across 1 thread, 2 threads and mpirun -np 2; files in $workdir"
