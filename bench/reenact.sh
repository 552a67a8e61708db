#!/bin/sh
# The reenactment defence against the forger's Face2Face-style models: the layout of the
# paper's Table 2 (issue: id-train-reenact). A real portrait (skimage's astronaut) is made
# to talk by `id-synth video --portrait` (landmark-driven piecewise-affine motion of mouth,
# eyes and head): the person's video, and a second clip of other motion whose landmarks
# drive the forger's models (held out from everything). The defender trains perturbation
# generators on the person's video with id-train-reenact (ours, ours --no-alternate);
# id-poison protects the whole video with each, with ours plus the landmark push, and with the
# push alone (--method push); the forger trains a pix2pix reenactor of
# every target architecture with one recipe on the clean video, on each protected one and
# on the video plus uniform noise of ε (the control: what any change of the training data
# does); id-score reenact drives both with the held-out landmarks and counts a frame as
# disrupted when L1(M'(z), M(z)) > 0.05. Every video and model is cached under bench/work/
# by its config and the toolkit version; training resumes from checkpoints, so a rerun or
# a run split over several sittings only redoes what is missing.
#   bench/reenact.sh [BUILD_DIR]
#   results: bench/results/reenact.md, reenact.csv, reenact-sheets/ (driving sketch, true
#   face, M(z), M'(z) per target)
# Environment: JOBS (2 lanes side by side), THREADS (1 per lane), FRAMES (1500), DRIVE_FRAMES (200),
# SMOKE=1 (a tiny run of the whole pipeline, minutes, results under bench/work/reenact-smoke).
# Sizes and the CPU plan: bench/reenact/pg.toml and bench/reenact/forger.toml.
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
threads=${THREADS:-1}
for t in id-synth id-forge id-train-reenact id-poison id-score; do
  [ -x "$build/$t" ] || { echo "reenact.sh: build first ($build/$t)" >&2; exit 1; }
done
synth="$build/id-synth" forge="$build/id-forge" train="$build/id-train-reenact" poison="$build/id-poison"
score="$build/id-score"
version="$("$train" --version | head -n 1)"
epsilon=0.02
targets="unet128 unet64 cnet res6 res9"   # unet128 is the surrogate's architecture: the gray-box cell
methods="ours noalt ourspush push noise"  # the protected videos (table.py's columns)

if [ "${SMOKE:-0}" = 1 ]; then
  work="$here/work/reenact-smoke" results="$work/results" frames=40 drive_frames=6
  pg_tiny="--iterations 4 --decay-iterations 2 --validate-every 2 --validation-frames 4 --checkpoint-every 2 --sample-every 2 --pg-width 4 --surrogate-width 4 --d-width 4 --db-width 4"
  forge_tiny="--iterations 4 --decay-iterations 2 --checkpoint-every 2 --sample-every 2 --width 4"
else
  work="$here/work/reenact" results="$here/results" frames=${FRAMES:-1500} drive_frames=${DRIVE_FRAMES:-200}
  pg_tiny="" forge_tiny=""
fi
mkdir -p "$work" "$results"
# Cache keys: the TOML configs without their comment lines (a comment edit retrains nothing),
# the other inputs as they are, the toolkit version.
key() {
  (for f in "$@"; do case $f in *.toml) grep -v '^[[:space:]]*#' "$f" ;; *) cat "$f" ;; esac; done
   echo "$version") | sha256sum | cut -c1-12
}
meta() { python3 "$here/tools/model_meta.py" "$@"; }
lanes=${JOBS:-2}
in_lanes() {  # FUNCTION_A FUNCTION_B: run both, in parallel when lanes > 1; fail if either does
  if [ "$lanes" -gt 1 ]; then
    "$1" & a=$!
    "$2" & b=$!
    wait $a && wait $b
  else
    "$1" && "$2"
  fi
}
cached() {  # FILE COMMAND...: runs COMMAND, which writes FILE (the tools write under a temporary name and
  file=$1; shift  # rename), unless FILE exists
  [ -f "$file" ] && return 0
  "$@" || { echo "reenact.sh: failed making $file" >&2; exit 1; }
}

# The videos: 4:2:0 y4m, as a published video would be, without a lossy codec in between.
"$here/../tests/data/fetch-testdata.sh" "$work/photos"
portrait="$work/photos/astronaut.png"
video="$work/talk-$(printf '%s' "$frames" | key -).y4m"
drive="$work/drive-$(printf '%s' "$drive_frames" | key -).y4m"
cached "$video" "$synth" video --portrait "$portrait" --frames "$frames" --seed 1 --quiet "$video"
cached "$drive" "$synth" video --portrait "$portrait" --frames "$drive_frames" --seed 2 --quiet "$drive"

# The defender's perturbation generators.
pg() {  # NAME [id-train-reenact options...]
  name=$1; shift
  out="$work/pg-$name-$(printf '%s %s %s' "$*" "$pg_tiny" "$video" | key "$here/reenact/pg.toml" -).idm"
  if [ ! -f "$out" ]; then
    echo "reenact.sh: PG $name" >&2
    # shellcheck disable=SC2086
    "$train" --config "$here/reenact/pg.toml" --threads "$threads" --output "$out" --samples "$out.samples" \
      --resume --quiet $pg_tiny "$@" "$video" || exit 1
  fi
  echo "$out"
}
model_ours() { pg ours; }
model_noalt() { pg noalt --no-alternate; }
train_ours() { model_ours > /dev/null; }
train_noalt() { model_noalt > /dev/null; }
in_lanes train_ours train_noalt
pg_ours=$(model_ours) pg_noalt=$(model_noalt)

# The protected videos, and the control: the same video plus uniform noise of ε.
protected() {  # NAME id-poison options...
  name=$1; shift
  out="$work/talk-$name-$(printf '%s %s' "$*" "$video" | key -).y4m"
  if [ ! -f "$out" ]; then
    rm -rf "$out.d"
    "$poison" --epsilon "$epsilon" --threads "$threads" --seed 1 --quiet "$@" --output "$out.d" "$video" || exit 1
    mv "$out.d/$(basename "$video")" "$out" && rm -rf "$out.d"
  fi
  echo "$out"
}
video_ours=$(protected ours --model "$pg_ours")
video_noalt=$(protected noalt --model "$pg_noalt")
video_ourspush=$(protected ourspush --model "$pg_ours" --push-landmarks)
video_push=$(protected push --method push)
video_noise=$(protected noise --method noise)

# The forger's reenactors: one recipe for every architecture and every training video.
reenactor() {  # ARCH VIDEO
  out="$work/forger-$1-$(printf '%s %s %s' "$1" "$forge_tiny" "$2" | key "$here/reenact/forger.toml" -).idm"
  if [ ! -f "$out" ]; then
    echo "reenact.sh: forger's $1 on $(basename "$2")" >&2
    # shellcheck disable=SC2086
    "$forge" train-reenact --config "$here/reenact/forger.toml" --arch "$1" --threads "$threads" --output "$out" \
      --samples "$out.samples" --resume --quiet $forge_tiny "$2" || exit 1
  fi
  echo "$out"
}
forgers_lane() {  # LANE (0 or 1): every other (architecture, video) pair
  i=0
  for a in $targets; do
    for v in "$video" "$video_ours" "$video_noalt" "$video_ourspush" "$video_push" "$video_noise"; do
      [ $(( i % lanes )) = "$1" ] && { reenactor "$a" "$v" > /dev/null || return 1; }
      i=$(( i + 1 ))
    done
  done
}
lane0() { forgers_lane 0; }
lane1() { forgers_lane 1; }
if [ "$lanes" -gt 1 ]; then in_lanes lane0 lane1; else lane0; fi

# Scores: each forger's model of a protected video against its model of the clean one.
scores="$work/scores"
mkdir -p "$scores"
score_one() {  # ARCH METHOD
  clean=$(reenactor "$1" "$video")
  eval "v=\$video_$2"
  poisoned=$(reenactor "$1" "$v")
  file="$scores/$1-$2-$(printf '%s %s' "$clean" "$poisoned" | key "$drive" -).json"
  [ -f "$file" ] || {
    "$score" reenact --forger "$clean" --poisoned "$poisoned" --threads "$threads" --json --quiet \
      --report "$file.report" "$drive" > "$file.part" || return 1
    mv "$file.part" "$file"
  }
  ln -sf "$(basename "$file")" "$scores/$1-$2.json.link"
}
scores_lane() {  # LANE: every other (architecture, video) pair
  i=0
  for a in $targets; do
    for m in $methods; do
      [ $(( i % lanes )) = "$1" ] && { score_one "$a" "$m" || return 1; }
      i=$(( i + 1 ))
    done
  done
}
scores0() { scores_lane 0; }
scores1() { scores_lane 1; }
if [ "$lanes" -gt 1 ]; then in_lanes scores0 scores1; else scores0; fi
for m in $methods; do
  eval "v=\$video_$m"
  file="$scores/psnr-$m-$(printf '%s' "$v" | key -).json"
  [ -f "$file" ] || { "$score" video --json --quiet "$video" "$v" > "$file.part" && mv "$file.part" "$file"; }
  ln -sf "$(basename "$file")" "$scores/psnr-$m.json.link"
done

# Training times from the models' own metadata (summed over sittings).
{
  printf 'pg-ours %s\npg-noalt %s\n' "$(meta "$pg_ours" training.seconds)" "$(meta "$pg_noalt" training.seconds)"
  for a in $targets; do
    for m in clean $methods; do
      if [ $m = clean ]; then v=$video; else eval "v=\$video_$m"; fi
      printf 'forger-%s-%s %s\n' "$a" "$m" "$(meta "$(reenactor "$a" "$v")" training.seconds)"
    done
  done
} > "$work/train-seconds.txt"

python3 "$here/reenact/table.py" "$scores" "$work/train-seconds.txt" "$targets" "$epsilon" "$results"
