#!/usr/bin/env bash
# A campaign over Co-Cr-Fe-Ni-Mn-Al with descriptor constraints (VEC >= 8, delta <= 0.04): every
# proposal of `matopt propose` satisfies them (checked by featurizing next.csv with `alloy`), and a
# space whose rule cannot hold is refused by `init` naming the rule. $1 = matopt binary, $2 = data dir.
set -euo pipefail
matopt=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }

cat > space.json <<'EOF2'
{"composition": {"elements": ["Co", "Cr", "Fe", "Ni", "Mn", "Al"], "granularity": 0.05,
                 "bounds": {"Co": [0, 0.4], "Cr": [0, 0.4], "Fe": [0, 0.4], "Ni": [0, 0.4], "Mn": [0, 0.4], "Al": [0, 0.2]}},
 "descriptor_constraints": [{"descriptor": "VEC", "min": 8.0}, {"descriptor": "delta", "max": 0.04}],
 "objectives": [{"name": "hardness", "unit": "HV"}]}
EOF2
printf 'composition,hardness [HV]\nCoCrFeNi,160\nCoCrFeMnNi,150\nCo0.3Ni0.3Fe0.2Cr0.2,170\nCo0.25Ni0.35Fe0.25Al0.05Cr0.1,210\n' > history.csv
"$matopt" init c.h5 --space space.json --history history.csv --seed 5 > /dev/null || fail "init"
"$matopt" propose c.h5 --batch 4 -o next.csv --raw-samples 256 --model-options '{"restarts": 1}' > /dev/null || fail "propose"
[ "$(wc -l < next.csv)" -eq 5 ] || fail "expected 4 proposals: $(cat next.csv)"
cut -d, -f2 next.csv > comps.csv
"$matopt" featurize comps.csv --features alloy -o feats.csv || fail "featurize"
# columns: id,delta,dH_mix,dS_mix,omega,VEC,...
awk -F, 'NR > 1 && ($6 < 8.0 - 1e-9 || $2 > 0.04 + 1e-12) { bad = 1; print "violates: " $0 } END { exit bad }' feats.csv ||
  fail "a proposal violates the descriptor constraints"

# A rule that holds nowhere in the bounds: refused, naming it, and no campaign file is written.
sed 's/"min": 8.0/"min": 9.9/' space.json > bad.json
set +e
"$matopt" init bad.h5 --space bad.json 2> bad.err
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "infeasible rule: exit code $rc, expected 2"
grep -q "VEC >= 9.9" bad.err || fail "infeasible rule not named: $(cat bad.err)"
[ ! -e bad.h5 ] || fail "a campaign file was written for an infeasible space"
echo "campaign_descriptor_constraints: ok"
