#!/bin/sh
# The fuzzing campaign (docs/hardening.md#fuzzing): each libFuzzer target of fuzz/ runs for
# SECONDS over its corpus, with AddressSanitizer and UndefinedBehaviorSanitizer. The corpus
# grows in bench/work/fuzz/NAME (seeded from fuzz/corpus/NAME, kept between runs), and the
# executions of every run add up in bench/results/fuzz.csv, so a campaign can be spread
# over several sittings: the goal is 10^7 clean executions per target. A crash stops the
# script with its input saved in bench/work/fuzz/crashes/ (turn it into a regression test).
#   bench/fuzz.sh SANITIZE_BUILD [SECONDS]     results: bench/results/fuzz.md and fuzz.csv
# Environment: FUZZ_ONLY="fuzz_y4m ..." runs only those targets.
set -eu
build=${1:?usage: bench/fuzz.sh SANITIZE_BUILD [SECONDS]}
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
work="$root/bench/work/fuzz"
csv="$here/results/fuzz.csv"
mkdir -p "$work/crashes"
[ -f "$csv" ] || echo "target,executions,seconds,runs,coverage,features,corpus,last_run" > "$csv"
targets=${FUZZ_ONLY:-$(cd "$root/fuzz" && ls fuzz_*.cpp | sed 's/\.cpp$//')}

export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
export LSAN_OPTIONS="suppressions=$root/fuzz/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# Targets that parse files get their input through a file per execution: on a tmpfs that
# costs half what it costs on disk (fuzz_config: 4585 against 2209 executions/s).
scratch=$(mktemp -d "$( [ -w /dev/shm ] && echo /dev/shm || echo "$work")/idef-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export TMPDIR="$scratch"
status=0
for t in $targets; do
  bin="$build/fuzz/$t"
  [ -x "$bin" ] || { echo "bench/fuzz.sh: no $bin: run make sanitize-build first" >&2; exit 1; }
  mkdir -p "$work/$t"
  log="$work/$t.log"
  echo "fuzzing $t for ${seconds}s (log: $log)"
  started=$(date +%s)
  if "$bin" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=4096 -print_final_stats=1 \
      -artifact_prefix="$work/crashes/$t-" "$work/$t" "$root/fuzz/corpus/$t" > "$log" 2>&1; then
    :
  else
    echo "bench/fuzz.sh: $t FAILED: see $log and $work/crashes/" >&2
    status=1
  fi
  took=$(( $(date +%s) - started ))  # less than asked when it stopped at a finding
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
  corp=$(ls "$work/$t" | wc -l)
  # Add this run to the target's row (executions and seconds add up; coverage is the latest).
  awk -F, -v OFS=, -v t="$t" -v e="${execs:-0}" -v s="$took" -v c="${cov:-0}" -v f="${ft:-0}" \
      -v n="$corp" -v d="$(date -u +%Y-%m-%d)" '
    NR == 1 { print; next }
    $1 == t { $2 += e; $3 += s; $4 += 1; $5 = c; $6 = f; $7 = n; $8 = d; found = 1 }
    { print }
    END { if (!found) print t, e, s, 1, c, f, n, d }' "$csv" > "$csv.tmp" && mv "$csv.tmp" "$csv"
done

{
  echo "# Fuzzing campaign"
  echo
  echo "libFuzzer targets of fuzz/ with AddressSanitizer and UndefinedBehaviorSanitizer (clang 14),"
  echo "\`make fuzz FUZZ_SECONDS=N\` (bench/fuzz.sh). Executions and seconds add up over every run;"
  echo "coverage (cov: edges, ft: features of our code; the system libraries are not instrumented)"
  echo "is the latest run's. Goal: 10^7 clean executions per target."
  echo
  echo "| target | executions | seconds | runs | cov | ft | corpus | last run | goal |"
  echo "|---|---|---|---|---|---|---|---|---|"
  awk -F, 'NR > 1 { printf "| %s | %d | %d | %d | %d | %d | %d | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, \
    ($2 >= 1e7 ? "met" : sprintf("%.0f%%", 100 * $2 / 1e7)) }' "$csv"
  echo
  echo "Findings so far: see the notes below; each became a regression test."
  echo
} > "$here/results/fuzz.md.new"
# Keep the hand-written notes that follow the generated part.
if [ -f "$here/results/fuzz.md" ]; then
  sed -n '/^## Notes/,$p' "$here/results/fuzz.md" >> "$here/results/fuzz.md.new"
fi
mv "$here/results/fuzz.md.new" "$here/results/fuzz.md"
exit $status
