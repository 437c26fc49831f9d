#!/usr/bin/env bash
# Installs what bignlp-hp needs on Debian 12 (idempotent): C++ libraries from apt, a Python virtual environment
# in .venv with the build packages (and the test packages with --tests), then builds hp-cli and the bignlp_hp
# module in build/ (ninja's [n/N] progress lines) and installs the package into .venv from that build
# (scripts/build.sh, docs/build.md).
# Usage: scripts/setup.sh [--tests] [--no-install]
#   --tests       also Slurm, munge and clang (the test command's Slurm cluster and its sanitizer build), libcairo2
#                 and DejaVu fonts (the picture render test), and pytest, pandas, pyyaml and cairosvg
#   --no-install  only system packages and the venv (build nothing)
set -euo pipefail
cd "$(dirname "$0")/.."
tests=0
install=1
for a in "$@"; do
  case "$a" in
    --tests) tests=1 ;;
    --no-install) install=0 ;;
    *) echo "setup: unknown option '$a' (use --tests, --no-install)" >&2; exit 2 ;;
  esac
done

APT_PACKAGES=(build-essential cmake ninja-build pkg-config python3 python3-dev python3-venv python3-pip
  libyaml-cpp-dev libeigen3-dev libfmt-dev libboost-dev libboost-filesystem-dev catch2 pybind11-dev libcli11-dev)
((tests)) && APT_PACKAGES+=(slurmctld slurmd slurm-client munge clang libclang-rt-14-dev libcairo2 fonts-dejavu-core)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: apt-get install ${missing[*]}" >&2
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  echo "setup: python venv .venv" >&2
  "$PY" -m venv .venv
fi
pip=(.venv/bin/python -m pip install -q --disable-pip-version-check)
# What the build needs (small); the test packages (pandas is the large one) only when they are used.
echo "setup: pip install scikit-build-core pybind11 (into .venv)" >&2
"${pip[@]}" scikit-build-core pybind11 >/dev/null
if ((tests)); then
  echo "setup: pip install pytest pandas pyyaml cairosvg (into .venv)" >&2
  "${pip[@]}" pytest pandas pyyaml cairosvg >/dev/null
fi
if ((install)); then
  scripts/build.sh hp-cli _core
  scripts/build.sh --install
fi
