#!/bin/sh
# The attribute-editing defence against the forger's editors: the layout of the paper's
# Table 1 (issue: id-train-attr). On 64 px synthetic faces of identities disjoint from the
# forger's, the defender pretrains res6 surrogates (on the target's domains, SD, and on
# other domains, DD), trains perturbation generators with id-train-attr (ours, ours
# --no-alternate, ours --no-tde), and id-score measures DSR, L2 and PSNR against the
# forger's res6 (gray-box), res9, cnet and unet64 (black-box) on the defender's held-out
# test faces, next to PGD on the surrogate (Ruiz et al.), PGD on the target (white-box
# bound) and noise, at ε = 0.05 and 0.03, plus a wild row (an editor of domains no PG
# saw) and the ε sweep. Every trained model is cached under bench/work/ by its config and
# the toolkit version; training resumes from checkpoints, so a rerun or a run split over
# several sittings only redoes what is missing.
#   bench/attr.sh [BUILD_DIR]     scoring needs the forger's editors: bench/forge.sh
#   results: bench/results/attr.md, attr.csv, attr-sweep/ (plots)
# Environment: JOBS (2 lanes side by side), THREADS (1 per lane), ATTR_FACES (6000), SCORE_FACES (100 test faces),
# DEFAULT_ONLY=1 (train the shipped default model alone and copy it to models/default.idm),
# SMOKE=1 (a tiny run of the whole pipeline, minutes, results under bench/work/attr-smoke).
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
threads=${THREADS:-1}
for t in id-synth id-forge id-train-attr id-score; do
  [ -x "$build/$t" ] || { echo "attr.sh: build first ($build/$t)" >&2; exit 1; }
done
synth="$build/id-synth" forge="$build/id-forge" train="$build/id-train-attr" score="$build/id-score"
# Models and faces are keyed on it: made by another version or renderer, they are not reused.
version="$("$train" --version | head -n 1) renderer $("$here/tools/renderer_id.sh" "$synth")"

if [ "${SMOKE:-0}" = 1 ]; then
  work="$here/work/attr-smoke" results="$work/results" faces_count=300 score_faces=4
  tiny="--iterations 4 --decay-iterations 2 --warmup-iterations 2 --checkpoint-every 2 --sample-every 2"
  pg_tiny="--iterations 4 --decay-iterations 2 --validate-every 2 --checkpoint-every 2 --sample-every 2 --batch 4"
else
  work="$here/work/attr" results="$here/results" faces_count=${ATTR_FACES:-6000} score_faces=${SCORE_FACES:-100}
  tiny="" pg_tiny=""
fi
mkdir -p "$work" "$results"
sd="Black_Hair,Blond_Hair,Brown_Hair,Gray_Hair,Male"   # the forger's domains (bench/forge/*.toml)
dd="Pale_Skin,Bangs,Eyeglasses,Smiling,Mustache"      # other domains (the wild editor's)
editors="$here/work/editors"
targets="res6 res9 cnet unet64"
[ "${SMOKE:-0}" = 1 ] && editors="$work/editors"

# Defender's faces: identities from 0 (the forger's from 1,000,000).
faces="$work/faces-64"
synth_args="faces --count $faces_count --size 64 --seed 7 --start-index 0"
if [ "$(cat "$faces/.complete" 2>/dev/null)" != "$synth_args $version" ]; then
  rm -rf "$faces"
  # shellcheck disable=SC2086
  "$synth" $synth_args --quiet "$faces"
  echo "$synth_args $version" > "$faces/.complete"
fi

key() { (cat "$@"; echo "$version") | sha256sum | cut -c1-12; }
meta() { python3 "$here/tools/model_meta.py" "$@"; }

# Surrogates: id-forge's recipe on the defender's training faces.
surrogate() {  # NAME DOMAINS
  out="$work/surrogate-$1-$(printf '%s %s %s' "$2" "$tiny" "$faces_count" | key "$here/attr/surrogate.toml" -).idm"
  if [ ! -f "$out" ]; then
    echo "attr.sh: surrogate $1 ($2)" >&2
    # shellcheck disable=SC2086
    "$forge" train-editor --config "$here/attr/surrogate.toml" --attributes "$2" --data "$faces" --split train \
      --threads "$threads" --output "$out" --resume --quiet $tiny || exit 1
  fi
  echo "$out"
}
# Two lanes of training side by side (JOBS=2, one core each) or one after the other.
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

# Perturbation generators.
pg() {  # NAME DOMAINS SURROGATE [id-train-attr options...]
  name=$1 domains=$2 init=$3; shift 3
  out="$work/pg-$name-$(printf '%s %s %s %s' "$domains" "$*" "$pg_tiny" "$faces_count" | key "$here/attr/pg.toml" "$init" -).idm"
  if [ ! -f "$out" ]; then
    echo "attr.sh: PG $name" >&2
    # shellcheck disable=SC2086
    "$train" --config "$here/attr/pg.toml" --attributes "$domains" --surrogate-init "$init.ckpt" --data "$faces" \
      --threads "$threads" --output "$out" --surrogate-output "$out.surrogate.idm" --samples "$out.samples" \
      --resume --quiet $pg_tiny "$@" || exit 1
  fi
  echo "$out"
}
# The shipped default model (models/default.idm): ours on the SD domains, trained longer.
# DEFAULT_ONLY=1 trains just it (and what it needs) and copies it into models/.
default_length="--iterations 2000 --decay-iterations 700"
[ "${SMOKE:-0}" = 1 ] && default_length=""
# shellcheck disable=SC2086
model_default() { pg default-sd "$sd" "$sm_sd" $default_length; }
if [ "${DEFAULT_ONLY:-0}" = 1 ]; then
  sm_sd=$(surrogate sd "$sd")
  model=$(model_default)
  dest="$here/../models/default.idm"
  [ "${SMOKE:-0}" = 1 ] && dest="$work/default.idm"
  cp "$model" "$dest.part" && mv "$dest.part" "$dest"
  echo "attr.sh: $dest <- $model"
  exit 0
fi

train_sm_sd() { surrogate sd "$sd" > /dev/null; }
train_sm_dd() { surrogate dd "$dd" > /dev/null; }
in_lanes train_sm_sd train_sm_dd
sm_sd=$(surrogate sd "$sd")
sm_dd=$(surrogate dd "$dd")
model_ours_sd() { pg ours-sd "$sd" "$sm_sd"; }
model_noalt_sd() { pg noalt-sd "$sd" "$sm_sd" --no-alternate --surrogate-iterations 0; }
model_notde_sd() { pg notde-sd "$sd" "$sm_sd" --no-tde; }
model_ours_dd() { pg ours-dd "$dd" "$sm_dd"; }
model_noalt_dd() { pg noalt-dd "$dd" "$sm_dd" --no-alternate --surrogate-iterations 0; }
# Ablation of the domain sampling: ours with L_A->B over all five domains every step.
model_all_sd() { pg all-sd "$sd" "$sm_sd" --domains-per-step 0; }
# all-sd runs the surrogate on five domains a step instead of one, several times the cost of
# the others: it shares a lane with one PG, the other four fill the second lane.
train_pgs_a() { model_ours_sd > /dev/null && model_noalt_sd > /dev/null && model_notde_sd > /dev/null && model_noalt_dd > /dev/null; }
train_pgs_b() { model_ours_dd > /dev/null && model_all_sd > /dev/null; }
in_lanes train_pgs_a train_pgs_b
pg_ours_sd=$(model_ours_sd) pg_noalt_sd=$(model_noalt_sd) pg_notde_sd=$(model_notde_sd)
pg_ours_dd=$(model_ours_dd) pg_noalt_dd=$(model_noalt_dd) pg_all_sd=$(model_all_sd)

# The forger's editors (bench/forge.sh; the defender's models above do not need them); a smoke
# run makes tiny stand-ins on the defender's faces.
for a in $targets wild-res6; do
  if [ "${SMOKE:-0}" = 1 ] && [ ! -e "$editors/$a.idm" ]; then
    mkdir -p "$editors"
    # shellcheck disable=SC2086
    "$forge" train-editor --config "$here/forge/$a.toml" --data "$faces" --threads "$threads" --output "$editors/$a.idm" \
      --quiet $tiny
  fi
  [ -e "$editors/$a.idm" ] || { echo "attr.sh: the forger's $a editor is missing: run bench/forge.sh first" >&2; exit 1; }
done

# Scores: one id-score attr per (protection, ε) against every target.
forgers=$(for a in $targets; do printf '%s,' "$editors/$a.idm"; done | sed 's/,$//')
# Cached per set of models (their names carry their config hashes) and test faces.
scores="$work/scores-$(printf '%s ' "$pg_ours_sd" "$pg_noalt_sd" "$pg_notde_sd" "$pg_ours_dd" "$pg_noalt_dd" "$pg_all_sd" "$score_faces" \
  "$(for a in $targets wild-res6; do readlink "$editors/$a.idm" || echo "$a"; done)" | key -)"
mkdir -p "$scores"
timed() {  # SECONDS_FILE COMMAND...: runs it, then writes its wall time there (the table's scoring time)
  timed_file=$1 timed_start=$(date +%s); shift
  "$@" || return 1
  echo $(( $(date +%s) - timed_start )) > "$timed_file"
}
run_score() {  # FILE FORGERS id-score options...
  file=$1 who=$2; shift 2
  [ -f "$file" ] && return 0
  timed "$file.seconds" "$score" attr --data "$faces" --split test --limit "$score_faces" --forger "$who" \
    --threads "$threads" --seed 1 --json --quiet "$@" > "$file.part" || exit 1
  mv "$file.part" "$file"
}
score_at() {  # EPSILON
  eps=$1
  for setting in sd dd; do
    if [ $setting = sd ]; then ours=$pg_ours_sd noalt=$pg_noalt_sd sm=$sm_sd; else ours=$pg_ours_dd noalt=$pg_noalt_dd sm=$sm_dd; fi
    run_score "$scores/$setting-ours-$eps.json" "$forgers" --method pg --model "$ours" --epsilon $eps
    run_score "$scores/$setting-noalt-$eps.json" "$forgers" --method pg --model "$noalt" --epsilon $eps
    if [ $setting = sd ]; then
      run_score "$scores/$setting-notde-$eps.json" "$forgers" --method pg --model "$pg_notde_sd" --epsilon $eps
      run_score "$scores/$setting-all-$eps.json" "$forgers" --method pg --model "$pg_all_sd" --epsilon $eps
    fi
    run_score "$scores/$setting-pgd-surrogate-$eps.json" "$forgers" --method pgd --target "$sm" --epsilon $eps
  done
  for a in $targets; do  # the white-box bound: PGD against each target itself
    run_score "$scores/whitebox-$a-$eps.json" "$editors/$a.idm" --method pgd --target "$editors/$a.idm" --epsilon $eps
  done
  run_score "$scores/noise-$eps.json" "$forgers" --method noise --epsilon $eps
  run_score "$scores/wild-ours-$eps.json" "$editors/wild-res6.idm" --method pg --model "$pg_ours_sd" --epsilon $eps
  run_score "$scores/wild-pgd-surrogate-$eps.json" "$editors/wild-res6.idm" --method pgd --target "$sm_sd" --epsilon $eps
}
score_005() { score_at 0.05; }
score_003() { score_at 0.03; }
in_lanes score_005 score_003

# The ε sweep (Figure 4's data) against the gray-box target.
if [ ! -f "$scores/sweep/sweep.csv" ]; then
  timed "$scores/sweep.part/seconds" "$score" sweep --data "$faces" --split test --limit "$score_faces" \
    --forger "$editors/res6.idm" --model "$pg_ours_sd" --target "$sm_sd" --methods pg,pgd,noise \
    --epsilons 0.01,0.02,0.03,0.04,0.05 --threads "$threads" --seed 1 --report "$scores/sweep.part" --quiet > /dev/null
  rm -rf "$scores/sweep" && mv "$scores/sweep.part" "$scores/sweep"
fi
rm -rf "$results/attr-sweep" && cp -r "$scores/sweep" "$results/attr-sweep"

# Training times from the models' own metadata (summed over sittings).
{
  for m in "$sm_sd" "$sm_dd" "$pg_ours_sd" "$pg_noalt_sd" "$pg_notde_sd" "$pg_ours_dd" "$pg_noalt_dd" "$pg_all_sd"; do
    printf '%s %s\n' "$(basename "$m" .idm | sed 's/-[0-9a-f]*$//')" "$(meta "$m" training.seconds)"
  done
} > "$work/train-seconds.txt"

python3 "$here/attr/table.py" "$scores" "$work/train-seconds.txt" "$targets" "$results"
