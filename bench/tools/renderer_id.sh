#!/bin/sh
# Prints an identity of id-synth's renderer: a hash of the first faces it draws, and of their
# counterfactuals (a change to one attribute's drawing may show in no face as sampled). Benchmarks
# key cached faces and models on it, since the toolkit's version number does not change
# when the renderer does.   bench/tools/renderer_id.sh PATH/TO/id-synth
set -eu
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
"$1" faces --count 8 --size 64 --seed 7 --counterfactuals --quiet "$probe/faces"
find "$probe/faces" -name "*.png" | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16
