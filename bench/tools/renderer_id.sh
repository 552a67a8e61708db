#!/bin/sh
# Prints an identity of id-synth's renderer: a hash of the first face it draws. Benchmarks
# key cached faces and models on it, since the toolkit's version number does not change
# when the renderer does.   bench/tools/renderer_id.sh PATH/TO/id-synth
set -eu
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
"$1" faces --count 1 --size 64 --seed 7 --quiet "$probe/faces"
cat "$probe"/faces/img_align_celeba/*.png | sha256sum | cut -c1-16
