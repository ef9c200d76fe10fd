#!/usr/bin/env bash
# Resource limits: large inputs run in bounded memory, absurd inputs are refused with a message
# (exit 2) instead of an out-of-memory kill or a crash. Peak RSS comes from /usr/bin/time -v.
# Inputs are generated in a temporary directory and deleted on exit.
#
# usage: scripts/resource_limits.sh [MATOPT_BINARY]   (default build/bin/matopt)
# env:   CANDIDATE_ROWS (default 10000000), DATASET_ROWS (default 1000000),
#        LONG_LINE_MB (default 1024), WIDE_COLUMNS (default 1000000), NEST_DEPTH (default 100000),
#        MAX_STREAM_RSS_MB: the streamed 10M-row featurization must stay under this (default 512)
#        MAX_REFUSAL_RSS_MB: refusals must stay under this peak RSS (default 3072: today the CSV
#        reader holds a whole line before it checks the cell limit, about 2x the line length)
set -euo pipefail
matopt=$(realpath "${1:-build/bin/matopt}")
candidate_rows=${CANDIDATE_ROWS:-10000000}
dataset_rows=${DATASET_ROWS:-1000000}
long_line_mb=${LONG_LINE_MB:-1024}
wide_columns=${WIDE_COLUMNS:-1000000}
nest_depth=${NEST_DEPTH:-100000}
max_refusal_rss_mb=${MAX_REFUSAL_RSS_MB:-3072}
max_stream_rss_mb=${MAX_STREAM_RSS_MB:-512}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
status=0
fail() { echo "FAIL: $*" >&2; status=1; }

# measure NAME CMD...: runs CMD under /usr/bin/time -v; sets $rc, $rss_mb, $secs; stderr in NAME.err
measure() {
  local name=$1; shift
  set +e
  /usr/bin/time -v -o "$name.time" "$@" > "$name.out" 2> "$name.err"
  rc=$?
  set -e
  rss_mb=$(awk -F: '/Maximum resident set size/ { printf "%d", $2 / 1024 }' "$name.time")
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$name.time")
  if grep -q "Command terminated by signal" "$name.time"; then rc=$((128 + $(grep -o 'signal [0-9]*' "$name.time" | grep -o '[0-9]*'))); fi
}

# refused NAME CMD...: CMD must exit 2 with an error message, in bounded memory
refused() {
  local name=$1; shift
  measure "$name" "$@"
  local msg
  msg=$(grep -m1 -i "error\|expected\|too\|limit" "$name.err" | cut -c1-160 || true)
  printf '%-28s exit %-3s peak RSS %6s MB  %8s  %s\n' "$name" "$rc" "$rss_mb" "$secs" "$msg"
  [ "$rc" -eq 2 ] || fail "$name: expected exit 2 (refused), got $rc: $(head -c 300 "$name.err")"
  [ -n "$msg" ] || fail "$name: no error message"
  [ "$rss_mb" -le "$max_refusal_rss_mb" ] || fail "$name: peak RSS $rss_mb MB > $max_refusal_rss_mb MB"
}

# accepted NAME CMD...: CMD must succeed; prints peak RSS
accepted() {
  local name=$1; shift
  measure "$name" "$@"
  printf '%-28s exit %-3s peak RSS %6s MB  %8s\n' "$name" "$rc" "$rss_mb" "$secs"
  [ "$rc" -eq 0 ] || fail "$name: exit $rc: $(head -c 300 "$name.err")"
}

# Rows cycle through a fixed set of compositions and numbers (deterministic, no RNG needed).
gen_rows() {  # gen_rows N WITH_TARGET
  awk -v n="$1" -v t="$2" 'BEGIN {
    print (t ? "formula,T,y" : "formula,T")
    for (i = 0; i < n; i++) {
      a = (i % 19 + 1) / 40; b = (int(i / 19) % 7 + 1) / 40
      line = sprintf("Fe%.3fNi%.3fCo%.3f,%d", a, b, 1 - a - b, 300 + i % 301)
      if (t) line = line sprintf(",%.4f", (i % 1000) / 1000)
      print line
    } }'
}

echo "== large inputs (bounded memory)"
gen_rows "$candidate_rows" 0 > candidates.csv
echo "candidates.csv: $candidate_rows rows, $(du -m candidates.csv | cut -f1) MB"
# CSV -> CSV featurization streams in chunks. (With --process the command reads the whole table:
# about 450 MB per million rows, so that variant is not run here.)
accepted "featurize-${candidate_rows}-rows" "$matopt" featurize candidates.csv -o feats.csv \
  --features stoichiometry --threads 1
[ "$rss_mb" -le "$max_stream_rss_mb" ] || fail "streamed featurize peak RSS $rss_mb MB > $max_stream_rss_mb MB"
lines=$(wc -l < feats.csv)
[ "$lines" -eq $((candidate_rows + 1)) ] || fail "featurize wrote $lines lines, expected $((candidate_rows + 1))"
rm -f candidates.csv feats.csv

gen_rows "$dataset_rows" 1 > dataset.csv
echo "dataset.csv: $dataset_rows rows, $(du -m dataset.csv | cut -f1) MB"
accepted "import-${dataset_rows}-rows" "$matopt" import dataset.csv -o dataset.h5 --target y --process T
accepted "info-${dataset_rows}-rows" "$matopt" info dataset.h5
rm -f dataset.csv dataset.h5

echo "== absurd inputs (refused with a message)"
{ printf 'formula,y\nFe'; head -c $((long_line_mb * 1024 * 1024)) /dev/zero | tr '\0' 'a'; printf ',1\n'; } > longline.csv
refused "import-${long_line_mb}MB-line" "$matopt" import longline.csv -o x.h5
refused "featurize-${long_line_mb}MB-line" "$matopt" featurize longline.csv -o x.csv --features stoichiometry
rm -f longline.csv
# a single line of 1 GB without any comma or newline (the whole file is one cell)
head -c $((long_line_mb * 1024 * 1024)) /dev/zero | tr '\0' 'a' > oneline.csv
refused "import-${long_line_mb}MB-no-newline" "$matopt" import oneline.csv -o x.h5
rm -f oneline.csv

awk -v n="$wide_columns" 'BEGIN { printf "formula"; for (i = 1; i < n; i++) printf ",c%d", i
  printf "\nFe"; for (i = 1; i < n; i++) printf ",1"; printf "\n" }' > wide.csv
refused "import-${wide_columns}-columns" "$matopt" import wide.csv -o x.h5
rm -f wide.csv

# nested (((...Fe)2)2...): the multipliers overflow a double -> refused; without multipliers the
# parser (iterative, no recursion) accepts it in bounded memory; 10x deeper exceeds the cell limit.
nested() {  # nested DEPTH MULTIPLIER
  awk -v d="$1" -v m="$2" 'BEGIN { printf "formula,y\n"; for (i = 0; i < d; i++) printf "("
    printf "Fe"; for (i = 0; i < d; i++) printf ")%s", m; printf ",1\n" }' > nested.csv
}
nested "$nest_depth" 2
refused "import-nested-${nest_depth}-x2" "$matopt" import nested.csv -o x.h5 --composition formula
refused "featurize-nested-${nest_depth}-x2" "$matopt" featurize nested.csv -o x.csv --features stoichiometry
nested "$nest_depth" ""
accepted "import-nested-${nest_depth}" "$matopt" import nested.csv -o x.h5 --composition formula
nested $((nest_depth * 10)) ""
refused "import-nested-$((nest_depth * 10))" "$matopt" import nested.csv -o x.h5 --composition formula
rm -f nested.csv x.h5

[ "$status" -eq 0 ] && echo "resource limits: OK" || echo "resource limits: FAILED"
exit "$status"
