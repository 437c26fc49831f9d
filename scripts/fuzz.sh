#!/usr/bin/env bash
# Runs every libFuzzer target (tests/fuzz) for a given time, each on a seed corpus gathered from examples/ and
# tests/data/. Needs a build with HP_BUILD_FUZZ=ON (scripts/sanitize.sh makes one: ASan + UBSan).
# Usage: scripts/fuzz.sh [--build DIR] [--seconds N] [--targets "csv logs ..."] [--keep-corpus]
# Prints one line per target (executions, crashes); exits 1 when any target found a crash, leak, hang or
# sanitizer error (the reproducer is in DIR/fuzz-artifacts/). docs/testing.md records a long run.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-san
seconds=30
targets="search_config nemo_yaml logs tfevents csv"
keep=0
while (($#)); do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --targets) targets="$2"; shift 2 ;;
    --keep-corpus) keep=1; shift ;;
    *) echo "fuzz.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

# Seed inputs per target: the project's own examples and test data (never /work/shared).
seeds() {
  case "$1" in
    search_config) ls examples/search/*.yaml examples/search/*/*.yaml examples/inference/*.yaml tests/data/search/*.yaml ;;
    nemo_yaml) ls examples/configs/*.yaml ;;
    logs) ls tests/data/logs/*.out tests/data/logs/*.err tests/data/inference/*.log ;;
    tfevents) ls tests/data/logs/events.out.tfevents.* ;;
    csv) ls libhp/data/*.csv tests/data/inference/*.csv ;;
  esac
}

status=0
mkdir -p "$build/fuzz-artifacts"
for t in $targets; do
  bin="$build/tests/fuzz/fuzz_$t"
  [[ -x "$bin" ]] || { echo "fuzz.sh: $bin not built (scripts/sanitize.sh builds it)" >&2; exit 2; }
  corpus="$build/fuzz-corpus/$t"
  ((keep)) || rm -rf "$corpus"
  mkdir -p "$corpus"
  while IFS= read -r f; do cp -- "$f" "$corpus/"; done < <(seeds "$t")
  log="$build/fuzz-$t.log"
  rc=0
  # -timeout: one input running 10 s is a hang; -rss_limit_mb: memory growth is a finding too.
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$build/fuzz-artifacts/$t-" "$corpus" >"$log" 2>&1 || rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  if ((rc != 0)); then
    status=1
    echo "fuzz $t: FAILED (exit $rc) after ${execs} executions; see $log" >&2
    grep -m5 -E 'ERROR|runtime error|escaped exception|Test unit written' "$log" >&2 || true
  else
    echo "fuzz $t: ${execs} executions in ${seconds} s, 0 crashes"
  fi
done
exit "$status"
