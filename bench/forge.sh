#!/bin/sh
# The forger's editors (issue: the forger's side): trains res6, res9, cnet and unet64
# editors with id-forge on 64 px synthetic faces from a range of identities disjoint from
# the defender's, then scores each on the forger's held-out test faces against the true
# counterfactuals. Models are cached under bench/work/ (and committed ones taken from
# bench/forge/trained/) by a hash of their config, the toolkit version and the renderer, so a
# rerun only redoes what changed; training resumes from checkpoints.
#   bench/forge.sh [BUILD_DIR]        results: bench/results/forge.md, forge.csv
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
work="$here/work"
results="$here/results"
mkdir -p "$work/editors" "$results"
synth="$build/id-synth"
forge="$build/id-forge"
for t in "$synth" "$forge"; do [ -x "$t" ] || { echo "forge.sh: build first ($t)" >&2; exit 1; }; done
# One thread by default: at width 16 it is faster than two (0.078 vs 0.1 s per cnet
# iteration), and two OpenMP threads on a core another process uses slow to a crawl.
# THREADS=2 pays off for one training alone on the machine at width 32 and batch 16 (cnet's
# adversarial phase: 0.71 s per iteration against 1.57 s with one thread).
threads=${THREADS:-1}

# Faces and editors made by an earlier renderer are not reused.
renderer=$("$here/tools/renderer_id.sh" "$synth")

# The forger's faces: identities from index 1,000,000 on (the defender's start at 0), with
# counterfactuals for every attribute an editor below is trained on. Regenerated only when
# the command that makes them or the renderer changes.
faces="$work/forger-faces-64"
cf_attributes=$(sed -n 's/^attributes = \[\(.*\)\]/\1/p' "$here"/forge/*.toml | tr -d '" ' | tr ',' '\n' | sort -u | paste -sd, -)
synth_args="faces --count ${FORGE_FACES:-10000} --size 64 --seed 7 --start-index 1000000 --counterfactuals --attributes $cf_attributes"
if [ "$(cat "$faces/.complete" 2>/dev/null)" != "$synth_args renderer $renderer" ]; then
  rm -rf "$faces"
  start=$(date +%s)
  # shellcheck disable=SC2086
  "$synth" $synth_args --quiet "$faces"
  echo "$synth_args renderer $renderer" > "$faces/.complete"
  echo "synthetic faces: $(( $(date +%s) - start )) s"
fi

editors="res6 unet64 cnet res9 wild-res6"  # the gray-box target first, the wild-domain editor last
# Editors are cached by config (with the one it includes), toolkit version and renderer (not
# the binary: a rebuild must not retrain). A subshell body: its variables stay its own.
version=$("$forge" --version | head -n 1)
key_of() (
  config="$here/forge/$1.toml"
  included=$(sed -n 's/^include = "\(.*\)"/\1/p' "$config")
  (cat "$config" ${included:+"$here/forge/$included"}; echo "$version"; echo "$renderer") |
    sha256sum | cut -c1-16
)

# FORGE_ONLY="res6 ..." picks some; two such runs can share the machine.
for arch in ${FORGE_ONLY:-$editors}; do
  config="$here/forge/$arch.toml"
  key=$(key_of "$arch")
  model="$work/editors/$arch-$key.idm"
  # Training all the editors takes longer than one sitting, and bench/work/ does not outlive
  # a clean checkout: editors trained on this config and renderer, and checkpoints of those
  # still training, are committed under bench/forge/trained/ with the same file names.
  trained="$here/forge/trained/$arch-$key.idm"
  for f in "$trained" "$trained.ckpt"; do
    cached="$work/editors/$(basename "$f")"
    if [ ! -f "$model" ] && [ ! -f "$model.ckpt" ] && [ -f "$f" ]; then
      echo "starting from the committed $f"
      cp "$f" "$cached.part" && mv "$cached.part" "$cached"
    fi
  done
  if [ ! -f "$model" ]; then
    echo "training $arch ($config)"
    # Its progress (iteration, rate, ETA, losses) goes to a file: a background run has no terminal.
    echo "progress: $work/editors/$arch-$key.progress"
    "$forge" train-editor --config "$config" --data "$faces" --split train --threads "$threads" \
      --samples "$work/editors/$arch-$key.samples" --output "$model" --resume \
      --progress "$work/editors/$arch-$key.progress"
  fi
  ln -sf "$(basename "$model")" "$work/editors/$arch.idm"  # the stable name other benchmarks use
  # Scored once per model (a rerun, e.g. from make bench-attr, only reads the figures).
  eval_json="$work/$arch-$key.eval.json"
  if [ ! -s "$eval_json" ] || [ "$eval_json" -ot "$model" ]; then
    "$forge" eval --editor "$model" --data "$faces" --split test --threads "$threads" --json > "$eval_json.part"
    mv "$eval_json.part" "$eval_json"
  fi
  cp "$eval_json" "$work/$arch.eval.json"
done

# The table holds every editor scored under its current config, whichever run scored it, so
# that runs of some editors each do not drop the others' rows. Other benchmarks that only need
# the faces and an editor (FORGE_TABLE=0) leave it as it is.
[ "${FORGE_TABLE:-1}" = 0 ] && exit 0
csv="$results/forge.csv"
part="$csv.$$.part"  # per run: two runs finishing together must not mix their rows
echo "arch,config,train_seconds,attribute,count,l1_edit,l1_nothing,reduction,l1_reconstruction,l1_change,change_reduction,l1_change_inside,l1_change_outside,reduction_to_on,reduction_to_off" > "$part"
for arch in $editors; do
  key=$(key_of "$arch")
  eval_json="$work/$arch-$key.eval.json"
  [ -s "$eval_json" ] || continue
  # Training time over all sittings, from the model's own metadata.
  seconds=$(python3 "$here/tools/model_meta.py" "$work/editors/$arch-$key.idm" training.seconds 2>/dev/null | cut -d. -f1 || true)
  python3 - "$eval_json" "$arch" "$arch.toml" "$seconds" >> "$part" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
def row(name, count, a):
    # A direction no test face took (a hair colour is only ever set) stays empty.
    on, off = (f'{a[k]["reduction"]:.3f}' if k in a and a[k]["count"] else "" for k in ("to_on", "to_off"))
    print(f'{sys.argv[2]},{sys.argv[3]},{sys.argv[4]},{name},{count},{a["l1_edit"]:.4f},{a["l1_nothing"]:.4f},'
          f'{a["reduction"]:.3f},{a["l1_reconstruction"]:.4f},{a["l1_change"]:.4f},{a["change_reduction"]:.3f},'
          f'{a["l1_change_inside"]:.4f},{a["l1_change_outside"]:.4f},{on},{off}')
for a in r["attributes"]:
    row(a["attribute"], a["count"], a)
row("mean", "", r["mean"])
PY
done
mv "$part" "$csv"
python3 - "$csv" > "$results/forge.md" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print("# Forger's editors on 64 px synthetic faces (bench/forge.sh)\n")
print("L1 on the [-1,1] scale between the edit and the true counterfactual, next to the do-nothing")
print("L1 between the input and the counterfactual, on the forger's held-out test faces; then the")
print("editor's reconstruction error (its output for the input's own labels against the input) and")
print("the L1 of its change against the true change (do-nothing figure: the same L1 nothing),")
print("split into the pixels the true edit changes (in) and the others (out); last the reduction")
print("of the edits that turn the attribute on and of those that turn it off.")
print("Goal: reduction >= 40% on the mean row.\n")
print("| editor | train time (s) | attribute | faces | L1 edit | L1 nothing | reduction | L1 recon | L1 change "
      "| change reduction | change in | change out | to on | to off |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
pct = lambda v: f"{float(v)*100:.1f}%" if v else ""
for r in rows:
    print(f'| {r["arch"]} | {r["train_seconds"]} | {r["attribute"]} | {r["count"]} | {r["l1_edit"]} | {r["l1_nothing"]} '
          f'| {pct(r["reduction"])} | {r["l1_reconstruction"]} | {r["l1_change"]} | {pct(r["change_reduction"])} '
          f'| {r["l1_change_inside"]} | {r["l1_change_outside"]} | {pct(r["reduction_to_on"])} | {pct(r["reduction_to_off"])} |')
PY
cat "$results/forge.md"
