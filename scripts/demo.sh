#!/usr/bin/env bash
# Demo campaign on a real dataset: OER catalysts of 6 metals (Ni, Fe, Co, Mn, Ce, La; fractions on a
# 0.1 grid), plate 3496 of the Olympus OER set (data/sdl/olympus_oer_plate_3496.csv). The dataset plays
# the lab: each round matopt proposes compositions from the pool of the plate's compositions, this
# script looks up their measured overpotential, writes results.csv and ingests it. Ends with status and
# a report. Runs scripts/setup.sh first (installs packages if missing, builds) unless MATOPT is set.
#
# Usage: scripts/demo.sh [OUT_DIR] [--two-objectives]
#   ROUNDS (default 10), BATCH (8), SEED (42), MATOPT (build/bin/matopt) and PROPOSE_ARGS (extra
#   `matopt propose` options, e.g. "--strategy ucb") may be set in the environment.
#   --two-objectives adds a second objective, cost_index = sum of fraction x illustrative weight per
#   metal (Ni 1.0, Fe 0.1, Co 2.0, Mn 0.2, Ce 0.5, La 0.6 -- made-up weights, not market prices), so the
#   campaign proposes along a Pareto front of overpotential vs cost.
set -euo pipefail
cd "$(dirname "$0")/.."

out=demo-campaign
two=0
for a in "$@"; do
  case "$a" in
    --two-objectives) two=1 ;;
    -h|--help) sed -n 2,14p "$0"; exit 0 ;;
    *) out="$a" ;;
  esac
done
matopt=${MATOPT:-build/bin/matopt}
rounds=${ROUNDS:-10}
batch=${BATCH:-8}
seed=${SEED:-42}
data=data/sdl/olympus_oer_plate_3496.csv
if [ -z "${MATOPT:-}" ]; then scripts/setup.sh; fi
[ -x "$matopt" ] || { echo "demo: $matopt not found; run scripts/setup.sh first" >&2; exit 1; }
[ -f "$data" ] || { echo "demo: $data not found" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"
space=examples/data/oer_space.json
[ "$two" = 1 ] && space=examples/data/oer_space_2obj.json
cp "$space" "$out/space.json"

# The pool: the plate's compositions, one column per element (the *_load columns are the fractions).
awk -F, '{ sub(/\r$/, "") } NR == 1 { print "Ni,Fe,Co,Mn,Ce,La"; next } { print $1 "," $2 "," $3 "," $4 "," $5 "," $6 }' "$data" > "$out/oer_pool.csv"

# The "lab": answers a proposal CSV with the plate's measurement of that composition.
lab() {  # lab PROPOSALS.csv RESULTS.csv
  awk -F, -v OFS=, -v two="$two" '
    function key(a, b, c, d, e, f) { return sprintf("%.1f|%.1f|%.1f|%.1f|%.1f|%.1f", a, b, c, d, e, f) }
    { sub(/\r$/, "") }
    NR == FNR { if (FNR > 1) eta[key($1, $2, $3, $4, $5, $6)] = $7; next }
    FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; print; next }
    {
      k = key($col["Ni"], $col["Fe"], $col["Co"], $col["Mn"], $col["Ce"], $col["La"])
      if (!(k in eta)) { print "demo: no measurement for " $col["id"] " (" k ")" > "/dev/stderr"; exit 1 }
      $col["overpotential [V]"] = eta[k]
      if (two) $col["cost_index"] = sprintf("%.4f", 1.0*$col["Ni"] + 0.1*$col["Fe"] + 2.0*$col["Co"] + 0.2*$col["Mn"] + 0.5*$col["Ce"] + 0.6*$col["La"])
      $col["status"] = "ok"
      print
    }' "$data" "$1" > "$2"
}

start=$(date +%s)
echo "== init: pool of $(($(wc -l < "$out/oer_pool.csv") - 1)) compositions, seed $seed"
"$matopt" init "$out/campaign.h5" --space "$out/space.json" --seed "$seed"
for r in $(seq 1 "$rounds"); do
  echo "== round $r: propose $batch"
  # shellcheck disable=SC2086
  "$matopt" propose "$out/campaign.h5" --batch "$batch" -o "$out/round$r-proposals.csv" ${PROPOSE_ARGS:-}
  lab "$out/round$r-proposals.csv" "$out/round$r-results.csv"
  "$matopt" ingest "$out/campaign.h5" "$out/round$r-results.csv"
done
echo "== status"
"$matopt" status "$out/campaign.h5"
"$matopt" report "$out/campaign.h5" -o "$out/report"
best=$(awk -F, '{ sub(/\r$/, "") } NR > 1 { if (min == "" || $7 < min) min = $7 } END { print min }' "$data")
echo "== best overpotential in the whole plate (for reference): $best V"
echo "== demo finished in $(( $(date +%s) - start )) s; open $out/report/index.html"
