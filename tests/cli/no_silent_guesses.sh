#!/usr/bin/env bash
# CLI test of the default (no column flag) paths: a detected composition column with a bad cell,
# a table with no composition column, --no-composition, a model with nothing to learn, read-only
# commands that leave the campaign file as it was, and the malformed-table corpus under
# tests/data/malformed/ (every file refused with exit 2 and nothing written).
# $1 = matopt binary, $2 = data dir (unused).
set -uo pipefail
matopt=$1
corpus="$(cd "$(dirname "$0")/../data/malformed" && pwd)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_exit() {  # expect_exit CODE ERRFILE cmd...
  local code=$1 err=$2; shift 2
  "$@" > out.txt 2> "$err"; local rc=$?
  [ "$rc" -eq "$code" ] || fail "exit $rc (expected $code): $* :: $(cat "$err")"
}

# 30 valid formulas after a first-row typo: refused, naming row 2 and the token.
valid="Fe2Ni1 Co3Cr1 Mn1Al2 Ti2Cu1 Fe1Co1 Ni3Al1 Cr2Mn1 Cu1Ti1 Al3Fe1 Co1Ni2"
{ echo "formula,y"; echo "Fe2O3!,0.5"; i=0; for k in 1 2 3; do for f in $valid; do i=$((i + 1)); echo "$f,0.$i"; done; done; } > typo.csv
[ "$(wc -l < typo.csv)" -eq 32 ] || fail "typo.csv should have 31 data rows"
expect_exit 2 e.txt "$matopt" import typo.csv -o typo.h5
grep -q "row 2, column 'formula'" e.txt && grep -q "'Fe2O3!'" e.txt || fail "typo not named: $(cat e.txt)"
[ ! -e typo.h5 ] || fail "import wrote a file for a refused table"
expect_exit 2 e.txt "$matopt" train typo.csv --target y -o typo.m.h5
grep -q "row 2, column 'formula'" e.txt || fail "train: typo not named: $(cat e.txt)"
# The same typo in a column with another name, detected because most cells are formulas.
sed '1s/formula/x/' typo.csv > typo_x.csv
expect_exit 2 e.txt "$matopt" import typo_x.csv -o x.h5
grep -q "row 2, column 'x'" e.txt && grep -q "30 of 31 cells parse as formulas" e.txt || fail "detected column: $(cat e.txt)"

# No composition-like column: exit 2 with the hint; --no-composition imports, saying what it took.
printf 'T,P,y\n1,2,0.5\n2,4,0.7\n3,6,0.2\n' > plain.csv
expect_exit 2 e.txt "$matopt" import plain.csv -o plain.h5
grep -q "no composition column found; columns: 'T', 'P', 'y'; use --composition COL or --no-composition" e.txt ||
  fail "no hint: $(cat e.txt)"
expect_exit 0 e.txt "$matopt" import plain.csv -o plain.h5 --no-composition
grep -q "targets: 'T', 'P', 'y'" e.txt || fail "import did not list the columns it took: $(cat e.txt)"
[ -f plain.h5 ] || fail "no dataset written"

# The guess is printed without -v, and every column left out is named.
{ echo "formula,T,notes,y"; i=0; for f in $valid; do i=$((i + 1)); echo "$f,$i,n$i,0.$i"; done; } > good.csv
expect_exit 0 e.txt "$matopt" import good.csv -o good.h5
grep -q "composition column: 'formula' (named like a composition); targets: 'T', 'y'" e.txt || fail "guess: $(cat e.txt)"
grep -q "column 'notes' not imported: text" e.txt || fail "dropped column not reported: $(cat e.txt)"

# Nothing to learn: zero features, one distinct target value, one row.
expect_exit 2 e.txt "$matopt" train plain.csv --no-composition --target y -o m.h5
grep -q "0 input features" e.txt || fail "zero-feature model: $(cat e.txt)"
{ echo "formula,y"; for f in $valid; do echo "$f,1.5"; done; } > const.csv
expect_exit 2 e.txt "$matopt" train const.csv --target y -o m.h5
grep -q "one distinct value (1.5)" e.txt || fail "constant target: $(cat e.txt)"
printf 'formula,y\nFe2O3,1\nNiO,\n' > one.csv
expect_exit 2 e.txt "$matopt" train one.csv --target y -o m.h5
grep -q "has 1 row with a value" e.txt || fail "one row: $(cat e.txt)"
[ ! -e m.h5 ] || fail "a refused train wrote a model"

# Read-only commands leave the campaign file byte-identical; --record is the opt-in.
cat > space.json <<'JSON'
{"composition": {"elements": ["Ni", "Fe"], "granularity": 0.1},
 "objectives": [{"name": "eta", "goal": "minimize"}]}
JSON
printf 'composition,eta\nNi0.5Fe0.5,0.354422\nNi0.2Fe0.8,0.52\nFe1,0.6\n' > history.csv
"$matopt" init c.h5 --space space.json --history history.csv > /dev/null || fail "init"
before=$(sha256sum c.h5 | cut -d' ' -f1)
"$matopt" status c.h5 > status.txt || fail "status"
"$matopt" status c.h5 --json > /dev/null || fail "status --json"
"$matopt" report c.h5 -o rep > /dev/null || fail "report"
[ "$(sha256sum c.h5 | cut -d' ' -f1)" = "$before" ] || fail "status/report rewrote the campaign file"
grep -q "best eta (minimize): 0.354422" status.txt || fail "status number not for people: $(cat status.txt)"
"$matopt" status c.h5 --record > /dev/null || fail "status --record"
[ "$(sha256sum c.h5 | cut -d' ' -f1)" != "$before" ] || fail "status --record recorded nothing"

# The corpus: every table refused by import and train with no column flags, nothing left behind.
n=0
for f in "$corpus"/*.csv; do
  b=$(basename "$f" .csv)
  for cmd in import train; do
    mkdir -p "out_${cmd}_$b" && cd "out_${cmd}_$b" || fail "mkdir"
    if [ "$cmd" = import ]; then "$matopt" import "$f" -o out.h5 > /dev/null 2> err.txt; rc=$?
    else "$matopt" train "$f" --target y -o out.h5 > /dev/null 2> err.txt; rc=$?; fi
    [ "$rc" -eq 2 ] || fail "$cmd $b: exit $rc (expected 2): $(cat err.txt)"
    grep -q "^matopt: error: " err.txt || fail "$cmd $b: no error line: $(cat err.txt)"
    [ "$(ls -A | grep -v '^err.txt$' | wc -l)" -eq 0 ] || fail "$cmd $b: left files: $(ls -A)"
    cd .. && rm -rf "out_${cmd}_$b"
    n=$((n + 1))
  done
done
[ "$n" -ge 50 ] || fail "corpus too small ($n runs)"
echo "ok ($n corpus runs)"
