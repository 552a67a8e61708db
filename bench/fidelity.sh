#!/bin/sh
# What makes an editor fragile (the protection issue, deliverable 1): editors trained by
# StarGAN's published recipe and by variants of it that change one knob each
# (bench/fidelity/*.toml), next to bench/forge's editor of today's recipe, each scored for
# its edits (id-forge eval: reduction against do-nothing, reconstruction L1) and for its
# fragility: white-box PGD-10 at eps 0.05 against itself (id-score attr --method pgd with
# the editor as both attack model and forger: DSR, forgery L2, input L2 and their ratio, the
# gain). On the forger's validation faces: the study picks a recipe, so the test faces stay
# unseen. Models are cached under bench/work/fidelity/ by config, toolkit version and
# renderer, trainings resume from checkpoints (committed ones under bench/fidelity/trained/).
#   bench/fidelity.sh [BUILD_DIR]      results: bench/results/forge-fidelity.md, .csv
#   FIDELITY_ONLY="pub-res6-w16 ..." picks rows; THREADS (default 1) per training.
# A row whose config has an [id-synth] table (e.g. lossy-edits = true) trains and is scored
# on faces drawn with those options: the forger's identities, count and split otherwise.
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
work="$here/work"
results="$here/results"
forge="$build/id-forge"
score="$build/id-score"
threads=${THREADS:-1}
mkdir -p "$work/fidelity" "$results"

# The forger's faces and today's res6 (bench/forge.sh; cached, so only the first run pays).
FORGE_ONLY=res6 FORGE_TABLE=0 "$here/forge.sh" "$build" > "$work/fidelity/forge.log"
faces="$work/forger-faces-64"
renderer=$("$here/tools/renderer_id.sh" "$build/id-synth")
version=$("$forge" --version | head -n 1)
key_of() (
  config="$here/fidelity/$1.toml"
  included=$(sed -n 's/^include = "\(.*\)"/\1/p' "$config")
  (cat "$config" ${included:+"$here/fidelity/$included"}; echo "$version"; echo "$renderer") |
    sha256sum | cut -c1-16
)

all_rows=$(cd "$here/fidelity" && ls *.toml | grep -v '^published.toml$' | sed 's/\.toml$//')
rows=${FIDELITY_ONLY:-$all_rows}

faces_of() (  # NAME: the row's faces folder, drawn first if need be
  config="$here/fidelity/$1.toml"
  grep -q '^\[id-synth\]' "$config" || { echo "$faces"; exit 0; }
  options=$(sed -n '/^\[id-synth\]/,/^\[/{/^\[/d;p}' "$config")
  args=$(sed 's/ renderer .*//' "$faces/.complete")
  dir="$work/fidelity/faces-$( (echo "$args"; echo "$options"; echo "$renderer") | sha256sum | cut -c1-16)"
  if [ ! -f "$dir/.complete" ]; then
    rm -rf "$dir"
    mkdir -p "$dir.config" && printf '[id-synth]\n%s\n' "$options" > "$dir.config/synth.toml"
    # shellcheck disable=SC2086
    "$build/id-synth" $args --config "$dir.config/synth.toml" --quiet "$dir" >&2
    rm -rf "$dir.config"
    echo "$args" > "$dir/.complete"
  fi
  echo "$dir"
)

for name in $rows; do
  key=$(key_of "$name")
  row_faces=$(faces_of "$name")
  model="$work/fidelity/$name-$key.idm"
  trained="$here/fidelity/trained/$name-$key.idm"
  for f in "$trained" "$trained.ckpt"; do
    if [ ! -f "$model" ] && [ ! -f "$model.ckpt" ] && [ -f "$f" ]; then
      echo "starting from the committed $f"
      cp "$f" "$work/fidelity/$(basename "$f").part" && mv "$work/fidelity/$(basename "$f").part" "$work/fidelity/$(basename "$f")"
    fi
  done
  if [ ! -f "$model" ]; then
    echo "training $name (progress: $work/fidelity/$name-$key.progress)"
    "$forge" train-editor --config "$here/fidelity/$name.toml" --data "$row_faces" --split train --threads "$threads" \
      --samples "$work/fidelity/$name-$key.samples" --output "$model" --resume \
      --progress "$work/fidelity/$name-$key.progress"
  fi
done

# Scores, once per model.
score_row() {  # NAME MODEL FACES
  out="$work/fidelity/$1.score.json"
  if [ ! -s "$out" ] || [ "$out" -ot "$2" ]; then
    "$forge" eval --editor "$2" --data "$3" --split val --limit 300 --threads "$threads" --json > "$out.eval"
    "$score" attr --data "$3" --split val --limit 100 --forger "$2" --method pgd --target "$2" \
      --epsilon 0.05 --seed 1 --threads "$threads" --json --quiet > "$out.pgd"
    python3 - "$out.eval" "$out.pgd" "$2" "$here/tools/model_meta.py" > "$out.part" <<'PY'
import json, subprocess, sys
e, p = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))["forgers"][0]
meta = lambda k: subprocess.run([sys.executable, sys.argv[4], sys.argv[3], k], capture_output=True, text=True).stdout.strip()
print(json.dumps({"reduction": e["mean"]["reduction"], "recon": e["mean"]["l1_reconstruction"],
                  "dsr": p["dsr"], "l2": p["l2"], "input_l2": p["input_l2"], "gain": p["gain"],
                  "seconds": meta("training.seconds"), "width": meta("network.width")}))
PY
    mv "$out.part" "$out"
    rm -f "$out.eval" "$out.pgd"
  fi
}
score_row today-res6 "$work/editors/res6.idm" "$faces"
for name in $rows; do score_row "$name" "$work/fidelity/$name-$(key_of "$name").idm" "$(faces_of "$name")"; done

csv="$results/forge-fidelity.csv"
part="$csv.$$.part"  # per run: two runs finishing together must not mix their rows
echo "editor,config,knob,train_seconds,reduction,l1_reconstruction,pgd_dsr,pgd_l2,input_l2,gain" > "$part"
for name in today-res6 $all_rows; do
  if [ ! -s "$work/fidelity/$name.score.json" ]; then
    # Scored where bench/work was another machine's: its committed row stays.
    grep "^$name," "$csv" >> "$part" 2>/dev/null || true
    continue
  fi
  if [ "$name" = today-res6 ]; then config=bench/forge/res6.toml; knob="today's recipe (bench/forge)"
  else config=bench/fidelity/$name.toml; knob=$(sed -n '1s/^# //p' "$here/fidelity/$name.toml"); fi
  python3 - "$work/fidelity/$name.score.json" "$name" "$config" "$knob" >> "$part" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
knob = '"' + sys.argv[4].replace('"', '""') + '"'
print(f'{sys.argv[2]},{sys.argv[3]},{knob},{r["seconds"].split(".")[0]},{r["reduction"]:.4f},{r["recon"]:.4f},'
      f'{r["dsr"]:.4f},{r["l2"]:.5f},{r["input_l2"]:.6f},{r["gain"]:.2f}')
PY
done
mv "$part" "$csv"
python3 - "$csv" > "$results/forge-fidelity.md" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print("# What makes an editor fragile (bench/fidelity.sh)\n")
print("Editors on 64 px synthetic faces, scored on 300 (edits) and 100 (attack) of the forger's")
print("validation faces. Edits: mean reduction of the edit's L1 to the true counterfactual against")
print("doing nothing, and the editor's reconstruction L1. Fragility: white-box PGD-10 at eps 0.05")
print("(step 0.01, random start) against the editor itself; DSR = share of (face, domain) pairs whose")
print("forgery moved by L2 > 0.05; gain = forgery L2 / input L2.\n")
print("| editor | knob | train s | reduction | recon L1 | PGD DSR | PGD L2 | input L2 | gain |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f'| {r["editor"]} | {r["knob"]} | {r["train_seconds"]} | {float(r["reduction"])*100:.1f}% | '
          f'{r["l1_reconstruction"]} | {float(r["pgd_dsr"])*100:.0f}% | {r["pgd_l2"]} | {r["input_l2"]} | {r["gain"]} |')
PY
# The study's reading of its rows, kept beside the configs and updated with them.
{ echo; cat "$here/fidelity/conclusions.md"; } >> "$results/forge-fidelity.md"
cat "$results/forge-fidelity.md"
