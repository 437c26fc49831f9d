#!/usr/bin/env bash
# Command (1): install, then run the main job on the built-in example: plan and rank a GPT-3 5B search
# on 16 nodes of 8 x 80 GB GPUs without launching anything.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/hp-cli recommend --model gpt3 --nodes 20 --days 5
.venv/bin/hp-cli base-config --model gpt3 --size-b 5 --nodes 16 -o results/demo/base_cfg_5b.yaml
