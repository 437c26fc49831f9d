#!/usr/bin/env bash
# Installs everything bignlp-hp needs on Debian 12 (idempotent): C++ libraries, Slurm and clang (libFuzzer and
# the sanitizer runtimes for scripts/sanitize.sh) from apt,
# a Python virtual environment in .venv with the test packages, and the package itself (pip install .).
# Usage: scripts/setup.sh [--no-install]   (--no-install: only system packages and the venv)
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(build-essential cmake ninja-build pkg-config python3 python3-dev python3-venv python3-pip
  libyaml-cpp-dev libeigen3-dev libfmt-dev libboost-dev libboost-filesystem-dev catch2 pybind11-dev libcli11-dev
  slurmctld slurmd slurm-client munge clang libclang-rt-14-dev libcairo2 fonts-dejavu-core)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q pytest pandas pyyaml scikit-build-core pybind11 cairosvg >/dev/null
if [[ "${1:-}" != "--no-install" ]]; then
  echo "setup: pip install . (builds libhp, hp-cli and the bignlp_hp module)" >&2
  .venv/bin/python -m pip install -q . >/dev/null
fi
