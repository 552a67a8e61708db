#!/bin/sh
# One switch of the reenactment defence against the gray-box forger (unet128), without the
# whole of bench/reenact.sh: a PG trained by bench/reenact/pg.toml plus the given
# id-train-reenact options protects the person's video, the forger trains unet128 on it by
# bench/reenact/forger.toml, and id-score reenact compares that model with the forger's
# model of the clean video on the held-out driving clip; id-score video --face-crop says how
# far the forger's aligned crops of the protected video are from those of the clean one.
#   bench/reenact/probe.sh NAME [id-train-reenact options...]      (after bench/reenact.sh)
#   ARCH (default unet128): the forger's architecture; CLEAN_FORGER is then its model of the
#   clean video (id-forge train-reenact --config bench/reenact/forger.toml --arch ARCH).
#   EPSILON (default 0.02, the paper's): the strength id-poison protects the video with;
#   give the PG the same --epsilon. NOISE=1: no PG, the video plus uniform noise of EPSILON
#   (the control: what any change of that size does to the forger's model). A ready
#   probe-NAME/protected.y4m (e.g. from bench_landmark_shift) is used as it is.
#   results: bench/work/reenact/probe-NAME/{score-ARCH.json,crops.json}; resumable (--resume).
# CPU plan: the PG ~15 min of one core (2000 iterations), id-poison ~2 min, the forger ~3 min,
# scoring ~1 min.
set -eu
[ $# -ge 1 ] || { echo "usage: probe.sh NAME [id-train-reenact options...]" >&2; exit 2; }
name=$1; shift
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
work="$here/work/reenact"
out="$work/probe-$name"
video=$(ls "$work"/talk-????????????.y4m | head -n 1)
drive=$(ls "$work"/drive-*.y4m | head -n 1)
epsilon=${EPSILON:-0.02}
arch=${ARCH:-unet128}
clean=${CLEAN_FORGER:?set CLEAN_FORGER to the $arch model the forger trained on the clean video}
mkdir -p "$out"
if [ "${NOISE:-0}" = 1 ]; then
  set -- --method noise
else
  [ -f "$out/pg.idm" ] || "$build/id-train-reenact" --config "$here/reenact/pg.toml" --threads 1 --resume --quiet \
    --output "$out/pg.idm" "$@" "$video"
  set -- --model "$out/pg.idm"  # from here on: how id-poison protects
fi
[ -f "$out/protected.y4m" ] || {
  rm -rf "$out/poison"
  "$build/id-poison" "$@" --epsilon "$epsilon" --threads 1 --seed 1 --quiet --output "$out/poison" "$video"
  mv "$out/poison/$(basename "$video")" "$out/protected.y4m" && rm -rf "$out/poison"
}
[ -f "$out/forger-$arch.idm" ] || "$build/id-forge" train-reenact --config "$here/reenact/forger.toml" \
  --arch "$arch" --threads 1 --resume --quiet --output "$out/forger-$arch.idm" "$out/protected.y4m"
"$build/id-score" reenact --forger "$clean" --poisoned "$out/forger-$arch.idm" --threads 1 --json --quiet \
  "$drive" > "$out/score-$arch.json"
"$build/id-score" video --face-crop 128 --json --quiet "$video" "$out/protected.y4m" > "$out/crops.json"
python3 - "$out" "$arch" <<'PY'
import json, sys
s = json.load(open(sys.argv[1] + "/score-" + sys.argv[2] + ".json"))
c = json.load(open(sys.argv[1] + "/crops.json"))["summary"]
print("DSR %.0f%%  L1(M',M) %.4f  clean/protected L1 to truth %.4f / %.4f  forger's crops: PSNR %.2f dB, L1 %.4f"
      % (100 * s["dsr"], s["l1"], s["clean_l1"], s["poisoned_l1"], c["psnr"], c["l1"]))
PY
