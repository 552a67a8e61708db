#!/bin/sh
# id-poison's speed and memory (issue: id-poison), all in one run:
#  1. per-face time of --method pg (a unet64 generator) against --method pgd (Ruiz et al.,
#     10 steps, against an editor) on the same aligned 64 px face crops, and the ratio; and
#     of pg refined by REFINE PGD steps on the surrogate the model carries (--refine);
#  2. a 1920x1280 photo with several synthetic faces, end to end, and the faces found; the
#     start-up every run pays (`id-poison --version`); a batch of BATCH such photos with
#     --jobs JOBS, in photos per second;
#  3. a 1280x720 y4m stream through `ffmpeg | id-poison | ffmpeg (x264 veryfast)` in frames
#     per second, next to the same pipeline without id-poison, and with --detect-scale 0.5;
#     the same two pipelines at 1920x1080; id-poison's per-stage profile of each;
#     and on the same stream looped to STEADY_FRAMES frames, with the rate between the two
#     lengths (a live pipe's, without the start-up);
#  4. id-poison's peak resident memory on that stream and on the same stream looped to
#     LONG_FRAMES frames (it must not grow with the length).
#   bench/poison.sh [BUILD_DIR]          results: bench/results/poison.md, poison.csv
# Environment (defaults in brackets):
#   THREADS [nproc]        --threads of id-poison and of the model training
#   PG_MODEL               a trained unet64 perturbation model; else a small one is trained
#                          for PG_ITERATIONS [2] iterations at width PG_WIDTH [16] and cached
#                          (the speed of a generator does not depend on its weights' values)
#   TARGET_MODEL           the editor pgd attacks; else bench/work/editors/res6-*.idm
#                          (bench/forge.sh), else a res6 width 16 trained for a few iterations
#   CROPS [10]             64 px face crops for pg and pgd
#   REFINE [10]            --refine K of the refined pg (its surrogate is a res6 of the PGD
#                          target's width 16, so the two cost the same per step)
#   PG_REPEAT [20]         pg runs over the same crops this many times (its per-face time is
#                          milliseconds: more faces, a steadier figure)
#   FACES [5]              faces in the 1920x1280 photo (1-12)
#   BATCH [100]            photos in the batch; JOBS [2]: its --jobs
#   FRAMES [300]           frames of the 720p stream
#   STEADY_FRAMES [1200]   frames of the looped 720p stream for the steady rate (0: skip)
#   LONG_FRAMES [3000]     frames of the looped stream for the memory check (0: skip it;
#                          it takes minutes on 2 cores)
#   DETECT_EVERY           --detect-every of id-poison on the stream (default: its own)
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
work="$here/work/poison"
results="$here/results"
mkdir -p "$work" "$results"
synth="$build/id-synth"
poison="$build/id-poison"
train="$build/id-train-attr"
forge="$build/id-forge"
for t in "$synth" "$poison" "$train" "$forge" "$build/bench/bench_torch_startup"; do [ -x "$t" ] || { echo "poison.sh: build first ($t)" >&2; exit 1; }; done
for t in ffmpeg ffprobe python3; do command -v "$t" >/dev/null || { echo "poison.sh: $t is needed" >&2; exit 1; }; done
threads=${THREADS:-$(nproc)}
crops=${CROPS:-10}
refine=${REFINE:-10}
pg_repeat=${PG_REPEAT:-20}
faces=${FACES:-5}
batch=${BATCH:-100}
jobs=${JOBS:-2}
frames=${FRAMES:-300}
long_frames=${LONG_FRAMES:-3000}
steady_frames=${STEADY_FRAMES:-1200}
pg_width=${PG_WIDTH:-16}
pg_iterations=${PG_ITERATIONS:-2}
detect=""
[ -n "${DETECT_EVERY:-}" ] && detect="--detect-every $DETECT_EVERY"
opts="--threads $threads${detect:+ $detect}"
[ "$faces" -ge 1 ] && [ "$faces" -le 12 ] || { echo "poison.sh: FACES must be 1-12" >&2; exit 1; }
[ "$batch" -ge 1 ] && [ "$jobs" -ge 1 ] || { echo "poison.sh: BATCH and JOBS must be at least 1" >&2; exit 1; }
[ "$crops" -ge 2 ] || { echo "poison.sh: CROPS must be at least 2" >&2; exit 1; }
version=$("$poison" --version | head -n 1)

# measure FILE COMMAND...: wall time and peak memory of COMMAND into FILE (bench/tools/measure.py).
measure() { python3 "$here/tools/measure.py" "$@"; }
# Seconds per item from an id-poison --progress file, between the first block and the
# last: model loading, detector set-up and the first item's warm-up are left out.
per_item() { python3 "$here/tools/per_item.py" "$1"; }
field() { cut -d' ' -f"$1" "$2"; }
ms() { awk -v a="$1" 'BEGIN { printf "%.3g\n", a * 1000 }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.4g\n", a / b; else print "nan" }'; }

# --- models ---------------------------------------------------------------------------
train_faces="$work/train-faces-64"
if [ ! -f "$train_faces/.complete" ]; then
  rm -rf "$train_faces"
  "$synth" faces --count 200 --size 64 --seed 21 --quiet "$train_faces"
  touch "$train_faces/.complete"
fi
if [ -n "${PG_MODEL:-}" ]; then
  pg=$PG_MODEL; pg_note="given (PG_MODEL)"
else
  key=$(echo "unet64 $pg_width $pg_iterations res6-16 $version" | sha256sum | cut -c1-16)
  pg="$work/pg-unet64-w$pg_width-$key.idm"
  if [ ! -f "$pg" ]; then
    echo "training a small unet64 perturbation model ($pg_iterations iterations; only its speed matters)"
    "$train" --data "$train_faces" --image-size 64 --pg-arch unet64 --pg-width "$pg_width" \
      --surrogate-width 16 --da-width 8 --db-width 8 --batch 4 --iterations "$pg_iterations" \
      --validate-every 1 --validation-size 4 --threads "$threads" --quiet --output "$pg.tmp"
    mv "$pg.tmp" "$pg"; rm -f "$pg.tmp.ckpt"
  fi
  pg_note="unet64 ngf $pg_width, $pg_iterations training iterations (speed does not depend on the weights' values)"
fi
if [ -n "${TARGET_MODEL:-}" ]; then
  target=$TARGET_MODEL; target_note="given (TARGET_MODEL)"
else
  target=$(ls "$here"/work/editors/res6-*.idm 2>/dev/null | head -n 1 || true)
  target_note="the forger's res6 editor of bench/forge.sh"
  if [ -z "$target" ]; then
    target="$work/res6-w16-tiny.idm"
    target_note="res6 width 16 at 64 px, 20 training iterations (speed does not depend on the weights' values)"
    if [ ! -f "$target" ]; then
      echo "training a small res6 editor for pgd to attack (20 iterations; only its speed matters)"
      "$forge" train-editor --data "$train_faces" --arch res6 --width 16 --d-width 16 --image-size 64 \
        --batch 4 --iterations 20 --threads "$threads" --quiet --output "$target.tmp"
      mv "$target.tmp" "$target"; rm -f "$target.tmp.ckpt"
    fi
  fi
fi
for m in "$pg" "$target"; do [ -f "$m" ] || { echo "poison.sh: no model file '$m'" >&2; exit 1; }; done

# --- 1. pg against pgd per face ---------------------------------------------------------
crop_dir="$work/crops-64-$crops"
if [ ! -f "$crop_dir/.complete" ]; then
  rm -rf "$crop_dir"
  "$synth" faces --count "$crops" --size 64 --seed 22 --quiet "$crop_dir.faces"
  mkdir -p "$crop_dir"
  i=1
  while [ "$i" -le "$pg_repeat" ]; do
    mkdir -p "$crop_dir/pg/$i"
    cp "$crop_dir.faces"/img_align_celeba/*.png "$crop_dir/pg/$i/"
    i=$((i + 1))
  done
  mv "$crop_dir.faces/img_align_celeba" "$crop_dir/pgd"
  rm -rf "$crop_dir.faces"
  touch "$crop_dir/.complete"
fi
# The pg copies may be from an earlier PG_REPEAT: make them match this one.
n_pg=$(find "$crop_dir/pg" -name '*.png' | wc -l)
if [ "$n_pg" -ne $((crops * pg_repeat)) ]; then
  rm -rf "$crop_dir/pg"; i=1
  while [ "$i" -le "$pg_repeat" ]; do
    mkdir -p "$crop_dir/pg/$i"; cp "$crop_dir"/pgd/*.png "$crop_dir/pg/$i/"; i=$((i + 1))
  done
  n_pg=$((crops * pg_repeat))
fi
rm -rf "$work/out-pg" "$work/out-pgd"
pg_cmd="id-poison --aligned --method pg --model PG --threads $threads --output OUT CROPS"
echo "pg: $n_pg aligned 64 px crops ($crops faces x $pg_repeat)"
measure "$work/pg.m" "$poison" --aligned --method pg --model "$pg" --threads "$threads" --quiet \
  --progress "$work/pg.progress" --output "$work/out-pg" "$crop_dir/pg"
pgd_cmd="id-poison --aligned --method pgd --target EDITOR --threads $threads --output OUT CROPS"
echo "pgd: $crops aligned 64 px crops (the same faces)"
measure "$work/pgd.m" "$poison" --aligned --method pgd --target "$target" --threads "$threads" --quiet \
  --progress "$work/pgd.progress" --output "$work/out-pgd" "$crop_dir/pgd"
refine_cmd="id-poison --aligned --method pg --model PG --refine $refine --threads $threads --output OUT CROPS"
echo "pg refined by $refine steps: $crops aligned 64 px crops (the same faces)"
rm -rf "$work/out-refine"
measure "$work/refine.m" "$poison" --aligned --method pg --model "$pg" --refine "$refine" --threads "$threads" --quiet \
  --progress "$work/refine.progress" --output "$work/out-refine" "$crop_dir/pgd"
pg_face=$(per_item "$work/pg.progress")
pgd_face=$(per_item "$work/pgd.progress")
refine_face=$(per_item "$work/refine.progress")
refine_over_pgd=$(div "$refine_face" "$pgd_face")
pg_face_all=$(div "$(field 1 "$work/pg.m")" "$n_pg")
pgd_face_all=$(div "$(field 1 "$work/pgd.m")" "$crops")
ratio=$(div "$pgd_face" "$pg_face")
ratio_all=$(div "$pgd_face_all" "$pg_face_all")

# --- 2. a 1920x1280 photo with several faces --------------------------------------------
photo="$work/group-1920x1280-$faces.png"
if [ ! -f "$photo" ]; then
  rm -rf "$work/photo-faces"
  "$synth" faces --count "$faces" --size 256 --seed 23 --quiet "$work/photo-faces"
  # A group photo: the faces scaled to 384 px (about 200 px face boxes), each centred in a
  # cell of a grid of up to 4 by 3 on a gradient; one ffmpeg overlay per face.
  rows=$(( (faces + 3) / 4 )); cols=$(( (faces + rows - 1) / rows ))
  set -- -f lavfi -i "gradients=s=1920x1280:c0=0x556b7f:c1=0xc8b89a:seed=1:duration=1"
  graph="[0:v]null[b0]"
  i=0
  for f in "$work"/photo-faces/img_align_celeba/*.png; do
    set -- "$@" -i "$f"
    x=$(( (i % cols) * 1920 / cols + (1920 / cols - 384) / 2 ))
    y=$(( (i / cols) * 1280 / rows + (1280 / rows - 384) / 2 ))
    graph="$graph;[$((i + 1)):v]scale=384:384[f$i];[b$i][f$i]overlay=$x:$y[b$((i + 1))]"
    i=$((i + 1))
  done
  ffmpeg -v error -y "$@" -filter_complex "$graph" -map "[b$i]" -frames:v 1 "$photo.tmp.png"
  mv "$photo.tmp.png" "$photo"
fi
rm -rf "$work/out-photo"
echo "photo: 1920x1280, $faces faces"
measure "$work/photo.m" "$poison" --model "$pg" --threads "$threads" --output "$work/out-photo" "$photo" \
  < /dev/null > /dev/null 2> "$work/photo.log" || { cat "$work/photo.log" >&2; exit 1; }
cat "$work/photo.log" >&2
photo_s=$(field 1 "$work/photo.m")
found=$(sed -n 's/.*protected [0-9]* of [0-9]* inputs (\([0-9]*\) faces).*/\1/p' "$work/photo.log")
found=${found:-?}
photo_profile=$(sed -n 's/^id-poison: \(models and detector loaded in .*\)/\1/p' "$work/photo.log" | tail -n 1)
photo_cmd="id-poison --model PG --threads $threads --output OUT photo.png"
# The part of every start that no input changes: loading the libraries (LibTorch's own
# start-up), the best of three runs of `id-poison --version`.
startup_s=$(for i in 1 2 3; do measure "$work/version.m" "$poison" --version > /dev/null; field 1 "$work/version.m"; done |
  sort -n | head -n 1)
# The floor under it: a program linked with LibTorch alone that does one tiny operation.
torch_startup_s=$(for i in 1 2 3; do measure "$work/torch.m" "$build/bench/bench_torch_startup"; field 1 "$work/torch.m"; done |
  sort -n | head -n 1)

# --- 2b. a batch of BATCH copies of that photo, JOBS at a time ----------------------------
# Hard links to the one photo: the same work per photo, no disk for copies.
rm -rf "$work/batch" "$work/out-batch"
mkdir -p "$work/batch"
i=1
while [ "$i" -le "$batch" ]; do ln "$photo" "$work/batch/photo-$(printf %03d "$i").png"; i=$((i + 1)); done
echo "batch: $batch photos, --jobs $jobs"
measure "$work/batch.m" "$poison" --model "$pg" --jobs "$jobs" --output "$work/out-batch" "$work/batch" \
  < /dev/null > /dev/null 2> "$work/batch.log" || { cat "$work/batch.log" >&2; exit 1; }
tail -n 2 "$work/batch.log" >&2
batch_s=$(field 1 "$work/batch.m")
batch_rate=$(div "$batch" "$batch_s")
batch_cmd="id-poison --model PG --jobs $jobs --output OUT DIR"
rm -rf "$work/batch" "$work/out-batch"

# --- 3 and 4. the 720p stream through ffmpeg | id-poison | ffmpeg, and peak memory -------
STEADY_FRAMES=$steady_frames "$here/tools/stream.sh" "$work" "$synth" "$frames" "$long_frames" "$poison" --model "$pg" $opts \
  > "$work/stream.kv"
kv() { sed -n "s/^$1=//p" "$work/stream.kv"; }
plain_fps=$(kv plain_fps) pipe_fps=$(kv tool_fps) slowdown=$(kv slowdown) rss_short=$(kv rss_pipe_kb)
rss_short_loop=$(kv rss_short_kb) rss_long=$(kv rss_long_kb) long_s=$(kv long_s)
steady_plain_fps=$(kv steady_plain_fps) steady_fps=$(kv steady_tool_fps) marginal_fps=$(kv steady_marginal_fps)
rss_long_md="$rss_long KiB"
[ "$rss_long" = skipped ] && rss_long_md="skipped (LONG_FRAMES=0)"
x264="-c:v libx264 -preset veryfast"
pipe_cmd="ffmpeg -i talk.y4m -f yuv4mpegpipe - \\| id-poison --model PG $opts - \\| ffmpeg -f yuv4mpegpipe -i - $x264 out.mp4"
profile() { sed -n 's/.*; per frame: /per frame: /p' "$1" | tail -n 1; }
profile_default=$(profile "$work/stream-id-poison.log")
# The same pipeline with detection on half-size frames (--detect-scale 0.5), in this run.
mkdir -p "$work/scaled"
ln -sf "$work/talk-1280x720-$frames.y4m" "$work/scaled/talk-1280x720-$frames.y4m"
"$here/tools/stream.sh" "$work/scaled" "$synth" "$frames" 0 "$poison" --model "$pg" $opts --detect-scale 0.5 \
  > "$work/scaled/stream.kv"
scaled_fps=$(sed -n 's/^tool_fps=//p' "$work/scaled/stream.kv")
profile_scaled=$(profile "$work/scaled/stream-id-poison.log")
# The same pipeline at 1920x1080 (the talking head as tall as the frame), in this run.
mkdir -p "$work/1080p"
STREAM_HEIGHT=1080 "$here/tools/stream.sh" "$work/1080p" "$synth" "$frames" 0 "$poison" --model "$pg" $opts \
  > "$work/1080p/stream.kv"
hd_plain_fps=$(sed -n 's/^plain_fps=//p' "$work/1080p/stream.kv")
hd_fps=$(sed -n 's/^tool_fps=//p' "$work/1080p/stream.kv")
profile_hd=$(profile "$work/1080p/stream-id-poison.log")

# --- results ----------------------------------------------------------------------------
csv="$results/poison.csv"
{
  echo "measure,value,unit"
  echo "pg_seconds_per_face,$pg_face,s"
  echo "pgd_seconds_per_face,$pgd_face,s"
  echo "pgd_over_pg,$ratio,x"
  echo "refine_${refine}_seconds_per_face,$refine_face,s"
  echo "refine_${refine}_over_pgd,$refine_over_pgd,x"
  echo "pg_seconds_per_face_with_load,$pg_face_all,s"
  echo "pgd_seconds_per_face_with_load,$pgd_face_all,s"
  echo "pgd_over_pg_with_load,$ratio_all,x"
  echo "photo_1920x1280_seconds,$photo_s,s"
  echo "photo_faces_placed,$faces,faces"
  echo "photo_faces_found,$found,faces"
  echo "startup_version_seconds,$startup_s,s"
  echo "startup_libtorch_alone_seconds,$torch_startup_s,s"
  echo "batch_${batch}_photos_jobs_${jobs}_seconds,$batch_s,s"
  echo "batch_photos_per_second,$batch_rate,photos/s"
  echo "stream_frames,$frames,frames"
  echo "pipeline_plain_fps,$plain_fps,fps"
  echo "pipeline_poison_fps,$pipe_fps,fps"
  echo "pipeline_slowdown,$slowdown,x"
  echo "pipeline_${steady_frames}_frames_plain_fps,$steady_plain_fps,fps"
  echo "pipeline_${steady_frames}_frames_poison_fps,$steady_fps,fps"
  echo "pipeline_poison_steady_fps,$marginal_fps,fps"
  echo "pipeline_poison_detect_scale_0.5_fps,$scaled_fps,fps"
  echo "pipeline_1080p_plain_fps,$hd_plain_fps,fps"
  echo "pipeline_1080p_poison_fps,$hd_fps,fps"
  echo "poison_peak_rss_${frames}_frames_x264_pipe,$rss_short,KiB"
  echo "poison_peak_rss_${frames}_frames,$rss_short_loop,KiB"
  echo "poison_peak_rss_${long_frames}_frames,$rss_long,KiB"
} > "$csv.part"
mv "$csv.part" "$csv"
cat > "$results/poison.md.part" <<EOF
# id-poison: speed and memory (bench/poison.sh)

$version, $(date -u +%Y-%m-%d), $(nproc) cores, --threads $threads.
PG: $pg_note, its surrogate a res6 of width 16. PGD target: $target_note ($(basename "$target")); PGD runs 10 steps (its fixed default).

| measure | value | how |
|---|---|---|
| pg, per face | $(ms "$pg_face") ms | \`$pg_cmd\` on $n_pg crops ($crops faces × $pg_repeat); time between the first and the last progress block / faces (model load left out) |
| pgd, per face | $(ms "$pgd_face") ms | \`$pgd_cmd\` on the same $crops crops, measured the same way |
| pgd / pg | **${ratio}×** | goal ≥ 50× |
| pg + --refine $refine, per face | $(ms "$refine_face") ms | \`$refine_cmd\` on the $crops crops, measured the same way (the PG's own res6 surrogate, width 16) |
| refine / pgd | ${refine_over_pgd}× | the refined PG's cost per face against PGD-10's |
| pg, per face with load | $(ms "$pg_face_all") ms | wall time / faces |
| pgd, per face with load | $(ms "$pgd_face_all") ms | wall time / faces |
| 1920×1280 photo, end to end | $photo_s s | \`$photo_cmd\`: $faces synthetic faces (id-synth, 256 px scaled to 384) placed, $found found by its detector; wall time including model and detector load |
| where the photo's time goes | $photo_profile | id-poison's own summary of the run above; the start-up below comes before it |
| batch of $batch such photos, --jobs $jobs | $batch_rate photos/s | \`$batch_cmd\`: $batch_s s for $batch copies of the photo above, start-up and load included (goal ≥ 3 photos/s) |
| start-up alone | $startup_s s | \`id-poison --version\`, the best of 3: the libraries loaded and started, part of every run above and below |
| LibTorch's start-up | $torch_startup_s s | \`bench_torch_startup\` (bench/torch_startup.cpp), the best of 3: a program linked with LibTorch alone that does one tiny operation; the floor under every tool's start-up |
| pipeline without id-poison | $plain_fps fps | \`ffmpeg -i talk.y4m -f yuv4mpegpipe - \\| ffmpeg -f yuv4mpegpipe -i - $x264 out.mp4\`, $frames frames of 1280×720 |
| pipeline with id-poison | $pipe_fps fps | \`$pipe_cmd\` (goal ≥ 60 fps) |
| slowdown | ${slowdown}× | fps without / fps with |
| the same, $steady_frames frames | $steady_fps fps | the pipeline above on the stream looped to $steady_frames frames; without id-poison: $steady_plain_fps fps |
| steady rate | **$marginal_fps fps** | frames $((frames + 1))–$steady_frames: ($steady_frames − $frames) / (the $steady_frames-frame time − the $frames-frame time): a live pipe's rate, once started (goal ≥ 60 fps) |
| where a frame's time goes | $profile_default | id-poison's own summary of the pipeline above (each stage's time per frame on its thread; the reader thread converts and tracks, the other protects and writes) |
| pipeline with id-poison --detect-scale 0.5 | $scaled_fps fps | the same with \`--detect-scale 0.5\` (faces found on half-size frames, from ~160 px on) |
| where its time goes | $profile_scaled | its summary |
| pipeline at 1920×1080 without id-poison | $hd_plain_fps fps | the two pipelines above on a 1920×1080 talking head (as tall as the frame), $frames frames |
| pipeline at 1920×1080 with id-poison | $hd_fps fps | goal ≥ 25 fps |
| where its time goes | $profile_hd | its summary |
| id-poison peak RSS in the pipeline | $rss_short KiB | the pipeline above, $frames frames (max resident set size, getrusage) |
| id-poison peak RSS, $frames frames | $rss_short_loop KiB | \`ffmpeg -stream_loop N -i talk.y4m -frames:v $frames -f yuv4mpegpipe - \| id-poison --model PG $opts - > /dev/null\` |
| id-poison peak RSS, $long_frames frames | $rss_long_md | the same with $long_frames frames${long_s:+ ($long_s s)}: must not grow with the length |
EOF
mv "$results/poison.md.part" "$results/poison.md"
cat "$results/poison.md"
