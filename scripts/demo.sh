#!/usr/bin/env bash
# Command (1): install, then run the main job on the built-in example: a training HP search for GPT-3 5B
# on 16 nodes of 8 x A100 80GB. It plans and ranks every layout with the performance model and writes the
# candidate configs, predicted_summary.csv, infeasible_summary.csv and plan.yaml; it launches nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/hp-cli recommend --model gpt3 --nodes 20 --days 5
.venv/bin/hp-cli search examples/search/gpt3_5b.yaml --results-dir results/gpt3_5b --force
