#!/usr/bin/env bash
# Installs the Debian packages matopt needs (if missing), then configures and builds into build/.
# Idempotent; runs as root (or with sudo available). Usage: scripts/setup.sh [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build pkg-config ccache
          libeigen3-dev libtorch-dev nlohmann-json3-dev libspdlog-dev libcli11-dev catch2 libhdf5-dev
          libopenblas0-pthread
          libopenmpi-dev openmpi-bin  # MPI for `matopt screen` across processes (optional part)
          python3-h5py  # h5py: the CLI tests read our HDF5 files the way docs/file-formats.md shows
          # the Python module (python/) and its tests, for Debian's /usr/bin/python3
          pybind11-dev python3-pybind11 python3-dev python3-numpy python3-pandas python3-pytest python3-sklearn)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)
export CCACHE_DIR="${CCACHE_DIR:-$PWD/.ccache}"
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
fi
start=$(date +%s)
cmake --build build -j "$jobs"
echo "setup: build finished in $(( $(date +%s) - start )) s"
