#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Closed loop over Co-Cr-Fe-Ni-Mn-Al-Ti: a descriptor constraint (delta <= 0.066), a learned
# objective (hardness from the synthetic lab, lab.py) and a regular-solution oracle that computes the
# stability margin exactly (an output constraint) and dH_mix (a model input).
# usage: run.sh [path/to/matopt] [work dir]; checks that every proposal satisfies both constraints.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
matopt=${1:-${MATOPT_CLI:-matopt}}
work=${2:-$(mktemp -d)}
mkdir -p "$work"
cd "$work"
cp "$here/space.json" "$here/regular_solution.py" "$here/lab.py" "$here/check_margin.py" "$here/history.csv" .
rm -f hea.h5
"$matopt" init hea.h5 --space space.json --history history.csv --seed 11 > /dev/null
for round in 1 2 3; do
  "$matopt" propose hea.h5 --batch 4 -o next.csv --raw-samples 512 --min-measurements 4 \
    --features alloy --model-options '{"restarts": 1}' > /dev/null
  # Every proposal: delta <= 0.066 (descriptor constraint) and stability_margin >= 8 (oracle).
  cut -d, -f2 next.csv > comps.csv
  "$matopt" featurize comps.csv --features alloy -o feats.csv
  awk -F, 'NR > 1 && $2 > 0.066 + 1e-12 { bad = 1; print "delta violated: " $0 } END { exit bad }' feats.csv
  python3 check_margin.py next.csv 8
  python3 lab.py next.csv results.csv
  "$matopt" ingest hea.h5 results.csv > /dev/null
done
"$matopt" status hea.h5
echo "hea_oracle: ok (3 rounds of 4; every proposal has delta <= 0.066 and stability_margin >= 8 kJ/mol)"
