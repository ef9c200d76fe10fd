#!/usr/bin/env bash
# One command for a fresh clone: installs dependencies, builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir build --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" "$@"

# The Python module's tests: Debian's pytest for Debian's python3 (the interpreter the module is
# built for), importing the package from the build tree. Exit code 5 means pytest collected no
# tests, which here can only be a broken checkout or path: that is a failure, not a pass.
set +e
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$PWD/build/python${PYTHONPATH:+:$PYTHONPATH}" MATOPT_CLI="$PWD/build/bin/matopt" \
  /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/python
rc=$?
set -e
if [ "$rc" -eq 5 ]; then echo "test: pytest collected no tests under tests/python" >&2; exit 1; fi
exit "$rc"
