#!/bin/sh
# Data-parallel training against one process (issue: past one machine), in one run on this
# machine: id-forge train-editor on the forger's 64 px faces (bench/forge.sh makes them),
# res6 at width 16, the published adversarial recipe (n-critic 5), for ITERATIONS iterations
# at a global batch of 16:
#   one   one process, batch 16, one thread
#   two   two ranks (RANK/WORLD_SIZE/MASTER_PORT, as torchrun starts them), batch 8 each, one
#         thread each: the same global batch, gradients all-reduced over Gloo
#   one2  one process, batch 16, two threads: what the second core gives without ranks
# Each row: the training loop's seconds (the model's training.seconds: data loading and start-up
# left out), images per second; the speedups are ratios within this run. Needs an otherwise
# idle machine (two cores).   bench/parallel.sh [BUILD_DIR]
#   results: bench/results/parallel.md, parallel.csv
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
work="$here/work/parallel"
results="$here/results"
forge="$build/id-forge"
iterations=${ITERATIONS:-300}
faces="$here/work/forger-faces-64"
[ -f "$faces/.complete" ] || { echo "parallel.sh: no $faces: run bench/forge.sh (make bench-forge) first" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work"
common="train-editor --quiet --data $faces --arch res6 --width 16 --d-width 16 --image-size 64
  --attributes Black_Hair,Blond_Hair,Brown_Hair,Gray_Hair,Male --iterations $iterations --decay-iterations 0
  --n-critic 5 --checkpoint-every 0 --limit 4000"

seconds() { python3 "$here/tools/model_meta.py" "$1" training.seconds; }
run_one() {  # NAME THREADS
  # shellcheck disable=SC2086
  "$forge" $common --batch 16 --threads "$2" --output "$work/$1.idm"
  echo "$1 $(seconds "$work/$1.idm")"
}
run_two() {
  for r in 0 1; do
    # shellcheck disable=SC2086
    RANK=$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=${MASTER_PORT:-29517} \
      "$forge" $common --batch 8 --threads 1 --output "$work/two.idm" &
  done
  wait
  [ -f "$work/two.idm" ] || { echo "parallel.sh: the two-rank run failed" >&2; exit 1; }
  echo "two $(seconds "$work/two.idm")"
}
{ run_one one 1; run_two; run_one one2 2; } > "$work/times"

csv="$results/parallel.csv"
awk -v n="$iterations" 'BEGIN { print "run,ranks,threads_per_rank,batch_per_rank,seconds,images_per_second" }
  $1 == "one" { print "one,1,1,16," $2 "," 16 * n / $2 }
  $1 == "two" { print "two,2,1,8," $2 "," 16 * n / $2 }
  $1 == "one2" { print "one2,1,2,16," $2 "," 16 * n / $2 }' "$work/times" > "$csv.part"
mv "$csv.part" "$csv"
python3 - "$csv" "$iterations" > "$results/parallel.md" <<'PY'
import csv, sys
rows = {r["run"]: r for r in csv.DictReader(open(sys.argv[1]))}
print("# Data-parallel training on this machine (bench/parallel.sh)\n")
print(f"id-forge train-editor, res6 width 16, 64 px, {sys.argv[2]} iterations (n-critic 5) at a global batch of 16,")
print("all three runs in one invocation on 2 cores; ratios within the run.\n")
print("| run | ranks | threads per rank | batch per rank | seconds | images/s | speedup over one |")
print("|---|---|---|---|---|---|---|")
base = float(rows["one"]["seconds"])
for k in ("one", "two", "one2"):
    r = rows[k]
    print(f'| {k} | {r["ranks"]} | {r["threads_per_rank"]} | {r["batch_per_rank"]} | {float(r["seconds"]):.1f} | '
          f'{float(r["images_per_second"]):.1f} | {base / float(r["seconds"]):.2f} |')
PY
cat "$results/parallel.md"
