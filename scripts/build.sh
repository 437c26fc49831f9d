#!/usr/bin/env bash
# One build directory with one configuration for everything the scripts build (docs/build.md): the pip install
# of the package and the test build share build/, so nothing is compiled twice.
#   scripts/build.sh [TARGET...]          configure build/ if needed, build TARGETs (default: all), with ninja's
#                                         [n/N] progress lines
#   scripts/build.sh --install            install the package into .venv from build/ (scikit-build-core with
#                                         build-dir=build and no build isolation: it reuses what is built)
# Needs .venv with scikit-build-core and pybind11 (scripts/setup.sh --no-install makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
py="$PWD/.venv/bin/python"
# The same definitions for the plain CMake configure and for scikit-build-core's: a mismatch would reconfigure
# and recompile. pybind11 comes from .venv (the version pip builds with), not from apt.
pybind11_dir=$("$py" -m pybind11 --cmakedir)
defines=(CMAKE_BUILD_TYPE=Release "Python_EXECUTABLE=$py" "pybind11_DIR=$pybind11_dir"
  HP_BUILD_TESTS=ON HP_BUILD_BENCH=ON HP_INSTALL=ON)
launcher=()
[[ -n "${HP_CCACHE:-}" ]] && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

if [[ "${1:-}" == "--install" ]]; then
  args=(-C "build-dir=$build")
  for d in "${defines[@]}"; do args+=(-C "cmake.define.$d"); done
  echo "build: pip install . (the package from $build/, compiles nothing new)" >&2
  "$py" -m pip install -q --disable-pip-version-check --no-build-isolation "${args[@]}" . >/dev/null
  exit 0
fi

# Configure every time (a few seconds; an unchanged configuration recompiles nothing) so that a build/ left by
# an older script gets these definitions too.
cmake_args=()
for d in "${defines[@]}"; do cmake_args+=("-D$d"); done
cmake -S . -B "$build" -G Ninja "${cmake_args[@]}" "${launcher[@]}" >/dev/null
echo "build: ${*:-everything} (cmake --build $build)" >&2
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$build" -j "${JOBS:-$(nproc)}" "${targets[@]}"
