#!/usr/bin/env bash
# matopt import error handling: bad formula in row 7 -> exit 2, message names row 7 and the token,
# no output file; usage errors -> exit 1. $1 = matopt binary, $2 = data dir.
set -uo pipefail
MATOPT=$1
DATA=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Rows as a spreadsheet numbers them: header = row 1, so the bad formula 'Fe2Qx3' is row 7.
printf 'formula,hardness\nFe2O3,1.5\nNiO,2.5\nCuSO4.5H2O,3\nFe0.7Ni0.3,4.0\nAl2O3,5.25\nFe2Qx3,7\nCa(OH)2,6\n' > "$TMP/bad.csv"
"$MATOPT" import "$TMP/bad.csv" -o "$TMP/bad.h5" 2> "$TMP/err.txt"
rc=$?
[ $rc -eq 2 ] || fail "exit code $rc, expected 2"
grep -q "row 7" "$TMP/err.txt" || fail "message does not name row 7: $(cat "$TMP/err.txt")"
grep -q "'Qx'" "$TMP/err.txt" || fail "message does not name the token: $(cat "$TMP/err.txt")"
grep -q "unknown element symbol" "$TMP/err.txt" || fail "message lacks the reason"
[ "$(ls -A "$TMP")" = "$(printf 'bad.csv\nerr.txt')" ] || fail "files left behind: $(ls -A "$TMP")"

# An existing output is left untouched by a failed import.
printf 'formula,y\nFe,1\n' > "$TMP/good.csv"
"$MATOPT" import "$TMP/good.csv" -o "$TMP/keep.h5" || fail "good import failed"
before=$(cksum < "$TMP/keep.h5")
"$MATOPT" import "$TMP/bad.csv" -o "$TMP/keep.h5" 2> /dev/null
[ $? -eq 2 ] || fail "overwrite attempt: wrong exit code"
[ "$(cksum < "$TMP/keep.h5")" = "$before" ] || fail "failed import modified the existing output"

# A bad boolean names its row and column.
printf 'formula,is_metal\nFe,True\nNi,False\nCo,perhaps\n' > "$TMP/bool.csv"
"$MATOPT" import "$TMP/bool.csv" -o "$TMP/bool.h5" --target is_metal 2> "$TMP/err2.txt"
[ $? -eq 2 ] || fail "bad boolean: wrong exit code"
grep -q "row 4, column 'is_metal'" "$TMP/err2.txt" || fail "bad boolean message: $(cat "$TMP/err2.txt")"
[ ! -e "$TMP/bool.h5" ] || fail "output written despite error"

# Missing file -> 2; usage errors -> 1.
"$MATOPT" import "$TMP/none.csv" -o "$TMP/x.h5" 2> /dev/null
[ $? -eq 2 ] || fail "missing input: expected exit 2"
"$MATOPT" import "$TMP/good.csv" 2> /dev/null
[ $? -eq 1 ] || fail "missing -o: expected exit 1"
"$MATOPT" import "$TMP/good.csv" -o "$TMP/x.txt" 2> /dev/null
[ $? -eq 1 ] || fail "non-.h5 output: expected exit 1"
"$MATOPT" info "$TMP/bad.csv" 2> /dev/null
[ $? -eq 2 ] || fail "info on bad CSV: expected exit 2"
# A CSV renamed to .h5 is refused as not HDF5.
cp "$TMP/good.csv" "$TMP/fake.h5"
"$MATOPT" info "$TMP/fake.h5" 2> "$TMP/err3.txt"
[ $? -eq 2 ] || fail "fake .h5: expected exit 2"
grep -q "not an HDF5 file" "$TMP/err3.txt" || fail "fake .h5 message: $(cat "$TMP/err3.txt")"
"$MATOPT" import --help | grep -q -- "--composition" || fail "import --help"
echo "ok"
