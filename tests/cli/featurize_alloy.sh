#!/usr/bin/env bash
# matopt featurize --features alloy: the streamed CSV path gives the hand-derived values of
# tests/featurize/test_alloy.cpp; a missing pair is an empty (NaN) cell, or with --strict-alloy
# exit 2 naming the row and the pair and no output file. $1 = matopt binary, $2 = data dir.
set -uo pipefail
MATOPT=$1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

printf 'composition\nCoCrFeNi\nCoCrFeMnNi\nAlCoCrFeNi\nThU\n' > "$TMP/hea.csv"
"$MATOPT" featurize "$TMP/hea.csv" --features alloy -o "$TMP/out.csv" || fail "featurize failed"
head -1 "$TMP/out.csv" | grep -qx 'id,delta,dH_mix,dS_mix,omega,VEC,dchi,Tm_mean,Tm_std,Miedema_deltaH_inter,Miedema_deltaH_ss_min,Miedema_deltaH_amor' ||
  fail "header: $(head -1 "$TMP/out.csv")"
# CoCrFeNi: dH_mix = 4 (1/16)(-15) = -3.75, VEC = 33/4 = 8.25, Tm_mean = 7487/4 = 1871.75
row=$(sed -n 2p "$TMP/out.csv")
[ "$(echo "$row" | cut -d, -f3)" = "-3.75" ] || fail "CoCrFeNi dH_mix: $row"
[ "$(echo "$row" | cut -d, -f6)" = "8.25" ] || fail "CoCrFeNi VEC: $row"
[ "$(echo "$row" | cut -d, -f8)" = "1871.75" ] || fail "CoCrFeNi Tm_mean: $row"
# ThU: no Takeuchi-Inoue pair -> dH_mix and omega empty (NaN), dS_mix = R ln 2 present
row=$(sed -n 5p "$TMP/out.csv")
[ -z "$(echo "$row" | cut -d, -f3)" ] || fail "ThU dH_mix should be empty: $row"
[ -z "$(echo "$row" | cut -d, -f5)" ] || fail "ThU omega should be empty: $row"
[ -n "$(echo "$row" | cut -d, -f4)" ] || fail "ThU dS_mix should be present: $row"

"$MATOPT" featurize "$TMP/hea.csv" --features alloy --strict-alloy -o "$TMP/strict.csv" 2> "$TMP/err.txt"
rc=$?
[ $rc -eq 2 ] || fail "strict: exit code $rc, expected 2"
grep -q "row 5" "$TMP/err.txt" || fail "strict: message does not name row 5: $(cat "$TMP/err.txt")"
grep -q "Th-U" "$TMP/err.txt" || fail "strict: message does not name the pair: $(cat "$TMP/err.txt")"
[ ! -e "$TMP/strict.csv" ] || fail "strict: an output file was written"
echo "featurize_alloy: ok"
