#!/usr/bin/env bash
# Sanitizer step of the test command: a clang build with AddressSanitizer + UndefinedBehaviorSanitizer (every
# UB check fatal) of libhp, hp-cli, the ctest suite and the libFuzzer targets; runs the ctest suite (without the
# Slurm tests, which the plain build runs), then every fuzz target on its seed corpus for FUZZ_SECONDS each.
# Usage: scripts/sanitize.sh            (FUZZ_SECONDS=30, BUILD_DIR=build-san, JOBS=nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-san}
jobs=${JOBS:-$(nproc)}
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -fsanitize=fuzzer-no-link -O1 -g1"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_COMPILER=clang++ "${launcher[@]}" \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DHP_BUILD_PYTHON=OFF -DHP_BUILD_BENCH=OFF -DHP_INSTALL=OFF -DHP_BUILD_FUZZ=ON >/dev/null
cmake --build "$build" -j "$jobs"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$build" -j "$jobs" -LE slurm --output-on-failure
scripts/fuzz.sh --build "$build" --seconds "${FUZZ_SECONDS:-30}"
