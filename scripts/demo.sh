#!/usr/bin/env bash
# Command (1): install, then run the main job on the built-in example: a training HP search for GPT-3 5B
# on 16 nodes of 8 x A100 80GB. It plans and ranks every layout with the performance model and writes the
# candidate configs, predicted_summary.csv, infeasible_summary.csv and plan.yaml; it launches nothing.
# The answer comes first: only hp-cli is built before it runs; the Python module is built and the package
# installed into .venv afterwards (docs/build.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-install
scripts/build.sh hp-cli
echo "demo: the answer (build/cli/hp-cli; .venv/bin/hp-cli once installed)" >&2
build/cli/hp-cli recommend --model gpt3 --nodes 20 --days 5
build/cli/hp-cli search examples/search/gpt3_5b.yaml --results-dir results/gpt3_5b --force
echo "demo: building the bignlp_hp module and installing the package into .venv" >&2
scripts/build.sh _core
scripts/build.sh --install
