#!/bin/sh
# The joint scenario (issue: id-joint): one person's video protected against attribute
# editing only, against reenactment only, and against both (id-joint, in both orders), each
# scored against both threats by `id-score joint`: the attribute forgers (the shipped
# models/forger-res6.idm and forger-unet64.idm) edit the faces of every 10th frame, and the
# forger's unet128 reenactor (bench/reenact/forger.toml) trained on each video is driven by a
# held-out clip and compared with the one trained on the clean video. The video is the
# reenactment benchmark's talking astronaut (the same id-synth command and seed); the
# protections are the shipped generators (models/default.idm, models/reenact.idm) at their
# own ε, as a user running the tools with their defaults gets them. Then the frames per
# second of `ffmpeg | id-joint | ffmpeg` on a 720p stream with one face, and id-joint's peak
# memory at 300 and 3000 frames (bench/tools/stream.sh).
#   bench/joint.sh [BUILD_DIR]          results: bench/results/joint.md, joint.csv, joint-sheets/
# Environment: THREADS (1 per lane), JOBS (2 lanes), FRAMES (1500), DRIVE_FRAMES (200),
# STREAM_FRAMES (300), LONG_FRAMES (3000; 0 skips the memory check), STREAM_THREADS (nproc).
# CPU plan (2 cores): the videos ~3 min; four protections ~2 min each on one core; five
# unet128 reenactors ~4 min each (two lanes: ~12 min); scoring ~4 min a video (two lanes:
# ~8 min); the stream ~5 min with the memory check: about 40 min in one sitting (measured 41).
# Every file but the stream's figures is cached under bench/work/joint by its inputs and the
# toolkit version; a rerun redoes only what is missing, and measures the stream again.
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
for t in id-synth id-forge id-poison id-joint id-score; do
  [ -x "$build/$t" ] || { echo "joint.sh: build first ($build/$t)" >&2; exit 1; }
done
synth="$build/id-synth" forge="$build/id-forge" poison="$build/id-poison" joint="$build/id-joint" score="$build/id-score"
threads=${THREADS:-1} lanes=${JOBS:-2}
frames=${FRAMES:-1500} drive_frames=${DRIVE_FRAMES:-200}
attr_pg="$root/models/default.idm" reenact_pg="$root/models/reenact.idm"
forgers="$root/models/forger-res6.idm $root/models/forger-unet64.idm"
for m in $attr_pg $reenact_pg $forgers; do [ -f "$m" ] || { echo "joint.sh: missing $m" >&2; exit 1; }; done
work="$here/work/joint" results="$here/results"
mkdir -p "$work" "$results" "$work/scores"
version="$("$joint" --version | head -n 1)"
key() { (cat "$@"; echo "$version") | sha256sum | cut -c1-12; }
cached() {  # FILE COMMAND...: runs COMMAND (which writes FILE atomically) unless FILE exists
  file=$1; shift
  [ -f "$file" ] && return 0
  "$@" || { echo "joint.sh: failed making $file" >&2; exit 1; }
}
in_lanes() {  # FUNCTION_A FUNCTION_B: both, side by side when lanes > 1
  if [ "$lanes" -gt 1 ]; then "$1" & a=$!; "$2" & b=$!; wait $a && wait $b; else "$1" && "$2"; fi
}

# The person's video and the held-out driving clip (bench/reenact.sh's command and seeds).
"$root/tests/data/fetch-testdata.sh" "$work/photos"
video="$work/talk-$(printf '%s' "$frames" | key -).y4m"
drive="$work/drive-$(printf '%s' "$drive_frames" | key -).y4m"
cached "$video" "$synth" video --portrait "$work/photos/astronaut.png" --frames "$frames" --seed 1 --quiet "$video"
cached "$drive" "$synth" video --portrait "$work/photos/astronaut.png" --frames "$drive_frames" --seed 2 --quiet "$drive"

# The protected videos: each protection at the generators' own ε.
protect() {  # NAME TOOL ARGS...: the protected video's path
  name=$1; tool=$2; shift 2
  out="$work/talk-$name-$(printf '%s %s' "$*" "$video" | key "$attr_pg" "$reenact_pg" -).y4m"
  if [ ! -f "$out" ]; then
    echo "joint.sh: protecting ($name)" >&2
    rm -rf "$out.d"
    "$tool" --threads "$threads" --quiet --report "$out.changes.csv" "$@" --output "$out.d" "$video" || exit 1
    mv "$out.d/$(basename "$video")" "$out" && rm -rf "$out.d"
  fi
  echo "$out"
}
v_attr=$(protect attr "$poison" --model "$attr_pg")
v_reenact=$(protect reenact "$poison" --model "$reenact_pg")
v_joint=$(protect joint "$joint" --attr-model "$attr_pg" --reenact-model "$reenact_pg")
v_joint_rf=$(protect joint-rf "$joint" --attr-model "$attr_pg" --reenact-model "$reenact_pg" --order reenact-first)

# The forger's unet128 reenactor of each video, one recipe.
reenactor() {  # VIDEO: the model's path
  out="$work/forger-unet128-$(printf '%s' "$1" | key "$here/reenact/forger.toml" -).idm"
  if [ ! -f "$out" ]; then
    echo "joint.sh: the forger's unet128 on $(basename "$1")" >&2
    "$forge" train-reenact --config "$here/reenact/forger.toml" --arch unet128 --threads "$threads" --resume \
      --quiet --output "$out" "$1" || exit 1
  fi
  echo "$out"
}
lane0() { for v in "$video" "$v_reenact" "$v_joint_rf"; do reenactor "$v" > /dev/null || return 1; done; }
lane1() { for v in "$v_attr" "$v_joint"; do reenactor "$v" > /dev/null || return 1; done; }
in_lanes lane0 lane1
clean=$(reenactor "$video")

# Both threats against each protected video (two rows at a time).
score_row() {  # NAME VIDEO
  name=$1 v=$2
  m=$(reenactor "$v")
  file="$work/scores/$name-$(printf '%s %s %s' "$v" "$m" "$forgers" | key "$drive" -).json"
  if [ ! -f "$file" ]; then
    echo "joint.sh: scoring ($name)" >&2
    forger_args=""
    for f in $forgers; do forger_args="$forger_args --forger $f"; done
    # shellcheck disable=SC2086
    "$score" joint $forger_args --reenact-forger "$clean" --poisoned "$m" --frame-step 10 --threads "$threads" \
      --json --quiet --report "$file.report" "$video" "$v" "$drive" > "$file.part" || return 1
    mv "$file.part" "$file"
  fi
  ln -sf "$(basename "$file")" "$work/scores/$name.json.link"
  cp "$v.changes.csv" "$work/scores/$name.changes.csv"
}
scores0() { score_row attr "$v_attr" && score_row joint "$v_joint"; }
scores1() { score_row reenact "$v_reenact" && score_row joint-rf "$v_joint_rf"; }
in_lanes scores0 scores1

# The 720p stream: frames per second and memory.
stream_frames=${STREAM_FRAMES:-300} long_frames=${LONG_FRAMES:-3000} stream_threads=${STREAM_THREADS:-$(nproc)}
"$here/tools/stream.sh" "$work/stream" "$synth" "$stream_frames" "$long_frames" \
  "$joint" --attr-model "$attr_pg" --reenact-model "$reenact_pg" --threads "$stream_threads" > "$work/stream.kv"

python3 "$here/joint/table.py" "$work/scores" "$work/stream.kv" "$stream_threads" "$version" "$results"
