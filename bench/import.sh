#!/bin/sh
# An imported StarGAN at the published CelebA scale on CPU (issue: import PyTorch checkpoints):
# a StarGAN Generator state dict of conv_dim 64, repeat_num 6, five domains, random weights,
# written by PyTorch itself (tests/model/pytorch/make_fixtures.py --paper-scale, Debian's
# python3-torch; a bench fixture, not something the tools need), imported by id-forge import,
# then on 128 px face crops:
#   - id-score attr with it as the forger (noise of ε as the protection: what is timed is the
#     forger's 2 × 5 forgeries per face);
#   - id-poison --aligned with a 128 px perturbation generator alone, refined by REFINE PGD
#     steps against the imported model (--refine-against), and Ruiz et al.'s PGD-10 on it
#     (--method pgd --target).
# Seconds per face; one run, so the ratios between rows are the figures to compare.
#   bench/import.sh [BUILD_DIR]          results: bench/results/import.md, import.csv
# Environment: THREADS [nproc], CROPS [4] faces (the first one's time is left out of the
# per-face figures of id-poison: loading and warm-up), REFINE [10].
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
work="$here/work/import"
results="$here/results"
mkdir -p "$work" "$results"
for t in id-synth id-forge id-train-attr id-poison id-score; do
  [ -x "$build/$t" ] || { echo "import.sh: build first ($build/$t)" >&2; exit 1; }
done
/usr/bin/python3 -c 'import torch' 2>/dev/null ||
  { echo "import.sh: Debian's python3-torch makes the PyTorch checkpoint (apt-get install python3-torch)" >&2; exit 1; }
threads=${THREADS:-$(nproc)}
crops=${CROPS:-4}
refine=${REFINE:-10}
version=$("$build/id-forge" --version | head -n 1)

# seconds FILE COMMAND...: COMMAND's wall time into FILE (first field; bench/tools/measure.py).
seconds() { python3 "$here/tools/measure.py" "$@"; }
# Seconds per item from a --progress file, between its first block and its last (loading and
# the first item's warm-up left out).
per_item() { python3 "$here/tools/per_item.py" "$1"; }

# --- the checkpoint and its import ---------------------------------------------------------
ckpt="$work/stargan-paper-scale-G.ckpt"
[ -f "$ckpt" ] || /usr/bin/python3 "$here/../tests/model/pytorch/make_fixtures.py" --paper-scale "$ckpt"
editor="$work/stargan-paper-scale.idm"
rm -f "$editor"
seconds "$work/import.s" "$build/id-forge" import --image-size 128 --quiet --output "$editor" "$ckpt"

# --- faces and a 128 px perturbation generator -------------------------------------------
faces="$work/faces-128-$crops"
if [ ! -f "$faces/.complete" ]; then
  rm -rf "$faces"
  "$build/id-synth" faces --count "$crops" --size 128 --seed 31 --quiet "$faces"
  touch "$faces/.complete"
fi
pg="$work/pg-unet128-$(echo "$version" | sha256sum | cut -c1-12).idm"
if [ ! -f "$pg" ]; then
  echo "training a small unet128 perturbation model (2 iterations; only its speed matters)"
  rm -rf "$work/pg-faces"
  "$build/id-synth" faces --count 30 --size 128 --seed 32 --quiet "$work/pg-faces"
  "$build/id-train-attr" --data "$work/pg-faces" --image-size 128 --pg-arch unet128 --pg-width 16 \
    --surrogate-width 8 --da-width 8 --db-width 8 --batch 2 --iterations 2 --validate-every 1 \
    --validation-size 2 --threads "$threads" --quiet --output "$pg.tmp"
  mv "$pg.tmp" "$pg"; rm -f "$pg.tmp.ckpt"
fi

# --- timings ----------------------------------------------------------------------------------
run_poison() {  # NAME OPTIONS...
  name=$1; shift
  rm -rf "$work/out-$name"
  "$build/id-poison" --aligned --threads "$threads" --quiet --progress "$work/$name.progress" \
    --output "$work/out-$name" "$@" "$faces/img_align_celeba"
  per_item "$work/$name.progress"
}
pg_s=$(run_poison pg --model "$pg")
refine_s=$(run_poison refine --model "$pg" --refine "$refine" --refine-against "$editor")
pgd_s=$(run_poison pgd --method pgd --target "$editor" --epsilon 0.05)
seconds "$work/score.s" "$build/id-score" attr --forger "$editor" --method noise --epsilon 0.05 \
  --threads "$threads" --json --quiet "$faces/img_align_celeba" > "$work/score.json"
count=$(ls "$faces/img_align_celeba" | grep -c '\.png$')
score_s=$(awk -v t="$(cut -d' ' -f1 "$work/score.s")" -v n="$count" 'BEGIN { printf "%.4g", t / n }')
import_s=$(cut -d' ' -f1 "$work/import.s")

{
  echo "row,seconds"
  echo "import,$import_s"
  echo "id-score attr per face,$score_s"
  echo "id-poison pg per face,$pg_s"
  echo "id-poison pg --refine $refine per face,$refine_s"
  echo "id-poison pgd per face,$pgd_s"
} > "$results/import.csv"
r3() { awk -v a="$1" 'BEGIN { printf "%.3g", a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3g", a / b; else print "nan" }'; }
cat > "$results/import.md" <<EOF
# An imported StarGAN at the published scale on CPU (bench/import.sh)

StarGAN's Generator in its published layout and CelebA scale (conv_dim 64, repeat_num 6, five
domains, 8.4 M parameters; random weights written by PyTorch) imported by \`id-forge import\`
and run at 128 px on $count synthetic faces, $threads threads, one run ($(date -u +%Y-%m-%d)).

| what | seconds | against PGD-10 |
|---|---|---|
| id-forge import (34 MB checkpoint → model file) | $(r3 "$import_s") | |
| id-score attr, the imported model as the forger (10 forgeries per face), wall time per face, loading included | $(r3 "$score_s") | |
| id-poison --aligned, a unet128 generator (ngf 16) alone, per face | $(r3 "$pg_s") | $(ratio "$pg_s" "$pgd_s") |
| the same, --refine $refine --refine-against the imported model, per face | $(r3 "$refine_s") | $(ratio "$refine_s" "$pgd_s") |
| id-poison --method pgd --target the imported model (PGD-10, 5 domains), per face | $(r3 "$pgd_s") | 1 |

Each refining step and each PGD step is a forward and a backward pass of the imported network
per domain, so the two rows of ten steps cost about the same; the weights' values do not
change the speed.
EOF
cat "$results/import.md"
