#!/bin/sh
# A protecting tool on a 1280x720 video call (STREAM_HEIGHT=1080: 1920x1080): one id-synth
# talking head as tall as the frame, padded to 16:9, piped
# `ffmpeg | TOOL | ffmpeg (x264 veryfast)`, next to the same pipeline without the tool (frames
# per second, measured one after the other in this run), and the tool's peak resident memory
# on the stream looped to FRAMES and LONG_FRAMES frames (it must not grow with the length);
# with STEADY_FRAMES, both pipelines again on a stream that long (the steady_* lines).
# Used by bench/poison.sh (id-poison) and bench/joint.sh (id-joint).
#   stream.sh WORK_DIR SYNTH FRAMES LONG_FRAMES TOOL [TOOL_ARGS...]
# Prints key=value lines on standard output: frames, plain_fps, tool_fps, slowdown,
# rss_pipe_kb (the tool in the pipeline), rss_short_kb, rss_long_kb (LONG_FRAMES 0: skipped),
# long_s; progress on standard error.
set -eu
[ $# -ge 5 ] || { echo "usage: stream.sh WORK_DIR SYNTH FRAMES LONG_FRAMES TOOL [ARGS...]" >&2; exit 2; }
work=$1 synth=$2 frames=$3 long_frames=$4; shift 4
tools=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
measure() { python3 "$tools/measure.py" "$@"; }
field() { cut -d' ' -f"$1" "$2"; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.4g\n", a / b; else print "nan" }'; }
name=$(basename "$1")

height=${STREAM_HEIGHT:-720}
width=$(( height * 16 / 9 ))
size="${width}x$height"
talk="$work/talk-$size-$frames.y4m"
if [ ! -f "$talk" ]; then
  echo "rendering a $frames-frame talking head" >&2
  "$synth" video --frames "$frames" --size "$height" --quiet - |
    ffmpeg -v error -y -f yuv4mpegpipe -i - -vf "pad=$width:$height:$(( (width - height) / 2 )):0:color=0x3f5a7f" \
      -f yuv4mpegpipe "$talk.tmp"
  mv "$talk.tmp" "$talk"
fi
rm -f "$work/out-plain.mp4" "$work/out-$name.mp4"
x264="-c:v libx264 -preset veryfast"
ffmpeg -v error -i "$talk" -f yuv4mpegpipe - > /dev/null  # the input in the page cache for both
echo "stream: $frames frames of $size, without $name" >&2
measure "$work/plain.m" sh -c "ffmpeg -v error -i '$talk' -f yuv4mpegpipe - |
  ffmpeg -v error -y -f yuv4mpegpipe -i - $x264 '$work/out-plain.mp4'"
echo "stream: $frames frames of $size, with $name" >&2
# The tool's own arguments, quoted for sh -c.
args=""
for a in "$@"; do args="$args '$(printf '%s' "$a" | sed "s/'/'\\\\''/g")'"; done
measure "$work/pipe-$name.m" sh -c "ffmpeg -v error -i '$talk' -f yuv4mpegpipe - |
  python3 '$tools/measure.py' '$work/stream-$name.m' $args - 2> '$work/stream-$name.log' |
  ffmpeg -v error -y -f yuv4mpegpipe -i - $x264 '$work/out-$name.mp4'" || { cat "$work/stream-$name.log" >&2; exit 1; }
cat "$work/stream-$name.log" >&2
count() { ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$1"; }
n_plain=$(count "$work/out-plain.mp4"); n_tool=$(count "$work/out-$name.mp4")
[ "$n_plain" -eq "$frames" ] && [ "$n_tool" -eq "$frames" ] ||
  { echo "stream.sh: frame counts: $n_plain and $n_tool, expected $frames" >&2; exit 1; }
plain_fps=$(div "$frames" "$(field 1 "$work/plain.m")")
tool_fps=$(div "$frames" "$(field 1 "$work/pipe-$name.m")")
echo "frames=$frames"
echo "plain_fps=$plain_fps"
echo "tool_fps=$tool_fps"
echo "slowdown=$(div "$plain_fps" "$tool_fps")"
echo "rss_pipe_kb=$(field 2 "$work/stream-$name.m")"

# STEADY_FRAMES > FRAMES: both pipelines again on the stream looped to that length. The
# tool's start-up (LibTorch's alone is ~0.7 s) weighs on a short clip; the rate between the
# two lengths, (STEADY_FRAMES - FRAMES) / (its time - the short one's), is a live pipe's.
steady=${STEADY_FRAMES:-0}
if [ "$steady" -gt "$frames" ]; then
  loops=$(( (steady + frames - 1) / frames - 1 ))
  looped="ffmpeg -v error -stream_loop $loops -i '$talk' -frames:v $steady -f yuv4mpegpipe -"
  echo "stream: $steady frames (the stream looped), without and with $name" >&2
  measure "$work/steady-plain.m" sh -c "$looped | ffmpeg -v error -y -f yuv4mpegpipe -i - $x264 '$work/out-plain.mp4'"
  measure "$work/steady-$name.m" sh -c "$looped | $args --quiet - |
    ffmpeg -v error -y -f yuv4mpegpipe -i - $x264 '$work/out-$name.mp4'"
  n_tool=$(count "$work/out-$name.mp4")
  [ "$n_tool" -eq "$steady" ] || { echo "stream.sh: $n_tool frames out of $steady" >&2; exit 1; }
  long_tool_s=$(field 1 "$work/steady-$name.m")
  echo "steady_frames=$steady"
  echo "steady_plain_fps=$(div "$steady" "$(field 1 "$work/steady-plain.m")")"
  echo "steady_tool_fps=$(div "$steady" "$long_tool_s")"
  echo "steady_marginal_fps=$(div $((steady - frames)) "$(awk -v a="$long_tool_s" -v b="$(field 1 "$work/pipe-$name.m")" 'BEGIN { print a - b }')")"
fi

# Peak memory: the looped stream, output discarded, FRAMES and LONG_FRAMES long (both runs
# alike: the pipe into x264 above fills the tool's frame queue differently).
if [ "$long_frames" -gt 0 ]; then
  for n in "$frames" "$long_frames"; do
    loops=$(( (n + frames - 1) / frames - 1 ))
    echo "memory: $n frames (the stream looped), output discarded" >&2
    ffmpeg -v error -stream_loop "$loops" -i "$talk" -frames:v "$n" -f yuv4mpegpipe - |
      measure "$work/loop-$name-$n.m" "$@" --quiet - > /dev/null
  done
  echo "rss_short_kb=$(field 2 "$work/loop-$name-$frames.m")"
  echo "rss_long_kb=$(field 2 "$work/loop-$name-$long_frames.m")"
  echo "long_s=$(field 1 "$work/loop-$name-$long_frames.m")"
else
  echo "rss_short_kb=skipped"
  echo "rss_long_kb=skipped"
  echo "long_s="
fi
