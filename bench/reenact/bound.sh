#!/bin/sh
# What the forger's model would show if it learned a protection perfectly: the forger's
# unet128 of the clean video retrained with another seed (what retraining alone changes),
# driven by the held-out clip, plus a fixed pattern of ±LEVEL 8-bit levels on every frame
# (a checkerboard, a constant, smooth blobs), scored against the clean model as id-score
# reenact scores a poisoned one: mean L1 ([-1, 1]) and the frames over THRESHOLD (DSR).
# ε on the toolkit's [-1, 1] scale is 2·LEVEL/255: ε 0.02 ≈ 2.55 levels.
#   CLEAN_FORGER=MODEL bench/reenact/bound.sh [LEVEL...]          (after bench/reenact.sh)
#   results on standard output; the retrained model and videos in bench/work/reenact/bound.
# CPU plan: the retrained forger ~5 min of one core (once, cached), then seconds per row.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
work="$here/work/reenact"
out="$work/bound"
threshold=${THRESHOLD:-0.05}
video=$(ls "$work"/talk-????????????.y4m | head -n 1)
drive=$(ls "$work"/drive-*.y4m | head -n 1)
clean=${CLEAN_FORGER:?set CLEAN_FORGER to the unet128 model the forger trained on the clean video}
[ $# -gt 0 ] || set -- 2 3 4 5
mkdir -p "$out"
[ -f "$out/forger-seed2.idm" ] || "$build/id-forge" train-reenact --config "$here/reenact/forger.toml" --arch unet128 \
  --seed 2 --threads 1 --resume --quiet --output "$out/forger-seed2.idm" "$video"
[ -f "$out/clean.y4m" ] || "$build/id-forge" reenact --reenactor "$clean" --quiet --output "$out/clean.y4m" "$drive"
[ -f "$out/seed2.y4m" ] || "$build/id-forge" reenact --reenactor "$out/forger-seed2.idm" --quiet \
  --output "$out/seed2.y4m" "$drive"
score() {  # NAME LEVEL EXPRESSION: the retrained model's frames plus the pattern, against the clean model's
  ffmpeg -v error -y -i "$out/seed2.y4m" \
    -vf "geq=lum='clip(lum(X\,Y)+$3\,0\,255)':cb='cb(X\,Y)':cr='cr(X\,Y)'" -f yuv4mpegpipe "$out/pattern.y4m"
  "$build/id-score" video "$out/clean.y4m" "$out/pattern.y4m" |
    awk -v name="$1" -v level="$2" -v t="$threshold" '
      /^frame/ { n++; if ($5 > t) over++ }
      /^mean/ { printf "| %s | %s | %.3f | %s | %d of %d (%.1f%%) |\n", name, level, 2 * level / 255, $5, over, n, 100 * over / n }'
}
echo "| pattern | ±levels | ε | L1(M', M) | frames over $threshold |"
echo "|---|---|---|---|---|"
score "none (retrained alone)" 0 0
for level in "$@"; do
  score checkerboard "$level" "$level*(mod(X+Y\,2)*2-1)"
  score constant "$level" "$level"
  score blobs "$level" "$level*(gt(sin(X/6)*sin(Y/6)\,0)*2-1)"
done
rm -f "$out/pattern.y4m"
