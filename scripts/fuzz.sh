#!/usr/bin/env bash
# Runs every libFuzzer target (tests/fuzz) for a given time, each on a seed corpus gathered from examples/ and
# tests/data/. Needs a build with HP_BUILD_FUZZ=ON (scripts/sanitize.sh makes one: ASan + UBSan).
# Usage: scripts/fuzz.sh [--build DIR] [--seconds N | --runs N | --replay] [--targets "csv logs ..."]
#                        [--keep-corpus] [--corpus-root DIR]
#   --runs N         stop each target after N executions instead of after --seconds
#   --replay         run every input of the kept corpus once (no mutation): e.g. the ASan + UBSan build over
#                    the corpus a long run on a faster build left behind (docs/testing.md); implies --keep-corpus
#   --corpus-root D  corpora in D/<target> (default DIR/fuzz-corpus)
# Prints one line per target (executions, crashes); exits 1 when any target found a crash, leak, hang or
# sanitizer error (the reproducer is in DIR/fuzz-artifacts/). docs/testing.md records a long run.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-san
seconds=30
runs=""
replay=0
targets="search_config nemo_yaml logs tfevents csv"
keep=0
corpus_root=""
while (($#)); do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --replay) replay=1; keep=1; shift ;;
    --targets) targets="$2"; shift 2 ;;
    --keep-corpus) keep=1; shift ;;
    --corpus-root) corpus_root="$2"; shift 2 ;;
    *) echo "fuzz.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
corpus_root=${corpus_root:-$build/fuzz-corpus}
# How long each target runs: -runs=0 executes the corpus once and stops.
if ((replay)); then limit=(-runs=0); what="the corpus replayed"
elif [[ -n $runs ]]; then limit=(-runs="$runs"); what="a limit of $runs"
else limit=(-max_total_time="$seconds"); what="$seconds s"; fi

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

# A CSV seed becomes its header plus 8 rows per file (every row of every file is in one seed): the readers work
# row by row, so a 230 KB table only repeats the same code per row, and libFuzzer (whose mutations touch a few
# bytes) would spend milliseconds per execution re-reading unchanged rows. None of the seed files has a quoted
# field spanning lines, so splitting at newlines keeps every row whole.
split_csv() {
  local name
  name=$(basename -- "$1")
  awk -v out="$2/$name" 'NR == 1 { header = $0; next }
    (NR - 2) % 8 == 0 { if (file) close(file); file = out "." int((NR - 2) / 8); print header > file }
    { print > file }
    END { if (!file) print header > (out ".0") }' "$1"
}

status=0
mkdir -p "$build/fuzz-artifacts"
for t in $targets; do
  bin="$build/tests/fuzz/fuzz_$t"
  [[ -x "$bin" ]] || { echo "fuzz.sh: $bin not built (scripts/sanitize.sh builds it)" >&2; exit 2; }
  corpus="$corpus_root/$t"
  ((keep)) || rm -rf "$corpus"
  mkdir -p "$corpus"
  while IFS= read -r f; do
    if [[ $t == csv ]]; then split_csv "$f" "$corpus"; else cp -- "$f" "$corpus/"; fi
  done < <(seeds "$t")
  log="$build/fuzz-$t.log"
  rc=0
  # -timeout: one input running 10 s is a hang; -rss_limit_mb: memory growth is a finding too.
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
    "$bin" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$build/fuzz-artifacts/$t-" "$corpus" >"$log" 2>&1 || rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  if ((rc != 0)); then
    status=1
    echo "fuzz $t: FAILED (exit $rc) after ${execs} executions; see $log" >&2
    grep -m5 -E 'ERROR|runtime error|escaped exception|Test unit written' "$log" >&2 || true
  else
    secs=$(grep -o 'Done [0-9]* runs in [0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    echo "fuzz $t: ${execs} executions in ${secs} s (${what}), 0 crashes"
  fi
done
exit "$status"
