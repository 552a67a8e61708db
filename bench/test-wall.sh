#!/bin/sh
# make test's process layout (issue: one path from option to result, deliverable 6): the
# wall time of the unit and tool tests run one process per test case (how CTest ran them
# until this script's commit, through gtest_discover_tests) against one process per suite
# (tests/add_suites.cmake), both JOBS at a time, back to back in one run, and their ratio.
# Needs a built tree; the build itself is the same for both and is not timed.
#   bench/test-wall.sh [BUILD_DIR]        results: bench/results/test-wall.md
# Environment: JOBS [2] processes at a time.
set -eu
build=${1:-build}
jobs=${JOBS:-2}
here=$(cd "$(dirname "$0")" && pwd)
bin="$build/tests/id_tests"
[ -x "$bin" ] || { echo "bench/test-wall.sh: no $bin: run make build first" >&2; exit 1; }
ctest --test-dir "$build" -R fetch_testdata > /dev/null  # the photo fixture, outside the timing
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" --gtest_list_tests | awk '/^[^ ]/ {suite=$1} /^  / {print suite $1}' > "$work/cases"
"$bin" --gtest_list_tests | awk '/^[^ ]/ {print $1 "*"}' > "$work/suites"

# Runs every filter of the list FILE, JOBS processes at a time; prints the seconds taken.
timed() {
  start=$(date +%s.%N)
  if ! xargs -P "$jobs" -I{} sh -c '"$0" --gtest_filter="$1" > /dev/null 2>&1 || echo "$1" >> "$2"' \
      "$bin" {} "$work/failed" < "$1"; then :; fi
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f\n", b - a }'
}
case_s=$(timed "$work/cases")
suite_s=$(timed "$work/suites")
[ ! -s "$work/failed" ] || { echo "bench/test-wall.sh: failing filters:" >&2; cat "$work/failed" >&2; exit 1; }
cases=$(wc -l < "$work/cases"); suites=$(wc -l < "$work/suites")
ratio=$(awk -v a="$suite_s" -v b="$case_s" 'BEGIN { printf "%.2f\n", a / b }')
mkdir -p "$here/results"
cat > "$here/results/test-wall.md.part" <<MD
# Test process layout: wall time

\`bench/test-wall.sh\`, $(date -u +%Y-%m-%d), $(nproc) cores, $jobs processes at a time. The same
$cases test cases of \`id_tests\` (the build not timed, the photo fixture fetched before),
run back to back in one run.

| layout | processes | wall s |
|---|---|---|
| one per test case (gtest_discover_tests, before) | $cases | $case_s |
| one per suite (tests/add_suites.cmake, now) | $suites | $suite_s |

Per suite / per case: **$ratio** of the wall time.
MD
mv "$here/results/test-wall.md.part" "$here/results/test-wall.md"
cat "$here/results/test-wall.md"
