#!/bin/sh
# `make demo`: the toolkit's main job on the shipped models. Protects a real portrait
# (skimage's astronaut, fetched from a Debian package) and a synthetic face with the default
# perturbation generator, measures how much the pictures changed, and lets the shipped
# forgers (res6, the architecture the model was trained against, and unet64, another one)
# edit the clean and the protected faces: a contact sheet per forger shows both edits side
# by side.
#   models/demo.sh [BUILD_DIR] [OUT_DIR]      defaults: build, demo-output
# Environment: THREADS (0: all cores), DEMO_CACHE (where the fetched photo is kept, OUT_DIR/cache)
set -eu
build=${1:-build}
out=${2:-demo-output}
here=$(cd "$(dirname "$0")" && pwd)
model="$here/default.idm"
forgers="forger-res6 forger-unet64"   # models/NAME.idm
for f in "$build/id-synth" "$build/id-poison" "$build/id-score"; do
  [ -x "$f" ] || { echo "demo: $f is missing: build first (make build)" >&2; exit 1; }
done
[ -f "$model" ] || { echo "demo: $model is missing from this checkout" >&2; exit 1; }
forger_paths=""  # id-score's comma-separated --forger list
for f in $forgers; do
  [ -f "$here/$f.idm" ] || { echo "demo: $here/$f.idm is missing from this checkout" >&2; exit 1; }
  forger_paths="${forger_paths:+$forger_paths,}$here/$f.idm"
done
threads=${THREADS:-0}

# A fresh run every time: the outputs below are only what this run made.
rm -rf "$out/originals" "$out/protected" "$out/report" "$out/synth" "$out/labels.txt"
cache=${DEMO_CACHE:-$out/cache}
mkdir -p "$out/originals"
"$here/../tests/data/fetch-testdata.sh" "$cache"
cp "$cache/astronaut.png" "$out/originals/astronaut.png"
# A face of a data set no shipped model was trained on (theirs are of seed 7), and one that
# dlib's detector finds (it misses some of the synthetic men's full beards).
"$build/id-synth" faces --count 1 --size 256 --seed 1 --start-index 5 --quiet "$out/synth"
cp "$out/synth/img_align_celeba/000006.png" "$out/originals/synthetic-face.png"
# What each face is, in the forger's domains, so that each forgery changes one attribute and
# keeps the rest (StarGAN's test): the astronaut by eye, the synthetic face from its own list.
domains="Black_Hair Blond_Hair Brown_Hair Male Pale_Skin"
{
  echo 2
  echo "$domains"
  echo "astronaut.png -1 -1 1 -1 -1"
  awk -v want="$domains" 'NR == 2 { n = split(want, w, " "); for (i = 1; i <= NF; i++) col[$i] = i + 1 }
    NR == 3 { printf "synthetic-face.png"; for (k = 1; k <= n; k++) printf " %s", $col[w[k]]; print "" }' \
    "$out/synth/list_attr_celeba.txt"
} > "$out/labels.txt"
rm -rf "$out/synth"

echo "== id-poison: protecting the faces in $out/originals with the default model"
"$build/id-poison" --threads "$threads" --output "$out/protected" "$out/originals"

echo "== id-score image: how much the protection changed each picture"
"$build/id-score" image --threads "$threads" "$out/originals" "$out/protected"

echo "== id-score attr: the forgers ($forgers) edit the clean and the protected faces"
"$build/id-score" attr --align --forger "$forger_paths" --protected "$out/protected" --threads "$threads" \
  --labels "$out/labels.txt" --report "$out/report" "$out/originals"

echo
echo "demo: protected pictures in $out/protected/"
for f in $forgers; do
  sheet="$out/report/sheet-$f.png"
  [ -f "$sheet" ] || { echo "demo: id-score wrote no contact sheet ($sheet)" >&2; exit 1; }
  echo "demo: contact sheet (clean face, protected face, perturbation, $f's edit of each): $sheet"
done
