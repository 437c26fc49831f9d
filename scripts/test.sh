#!/usr/bin/env bash
# Command (2): install what is needed, build, and run every test (C++ Catch2 via ctest, then pytest).
# One build: setup builds hp-cli and the module in build/ and installs the package from there; the tests are
# then built in the same build/ and configuration (scripts/build.sh, docs/build.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests
JOBS=${JOBS:-$(nproc)}
JOBS="$JOBS" scripts/build.sh
ctest --test-dir build -j "$JOBS" --output-on-failure
# pytest runs against the build tree (the code just built) and checks the pip-installed package too.
PYTHONPATH="$PWD/build/python" HP_CLI="$PWD/build/cli/hp-cli" HP_INSTALLED_CLI="$PWD/.venv/bin/hp-cli" \
  .venv/bin/python -m pytest tests/python -q
# ASan + UBSan build of the ctest suite, then every fuzz target on its seed corpus (FUZZ_SECONDS each).
JOBS="$JOBS" FUZZ_SECONDS="${FUZZ_SECONDS:-30}" scripts/sanitize.sh
