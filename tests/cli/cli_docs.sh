#!/usr/bin/env bash
# docs/cli.md must be exactly what scripts/gen-cli-docs.sh produces from this binary's --help.
set -euo pipefail
matopt=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
bash "$root/scripts/gen-cli-docs.sh" "$matopt" > "$tmp"
if ! diff -u "$root/docs/cli.md" "$tmp"; then
  echo "docs/cli.md is out of date: run scripts/gen-cli-docs.sh build/bin/matopt > docs/cli.md" >&2
  exit 1
fi
echo ok
