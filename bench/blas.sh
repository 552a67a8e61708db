#!/bin/sh
# ConvTranspose2d speed with the BLAS in use (OpenBLAS after `make deps`) against the
# reference BLAS, measured in one run; prints both and the ratio.
#   bench/blas.sh [BUILD_DIR]
set -eu
build=${1:-build}
bin="$build/bench/bench_blas_convtranspose"
reference_dir=/usr/lib/x86_64-linux-gnu/blas
[ -x "$bin" ] || { echo "blas.sh: build first (make build)" >&2; exit 1; }
[ -e "$reference_dir/libblas.so.3" ] || { echo "blas.sh: reference BLAS not installed ($reference_dir)" >&2; exit 1; }
ms() { sed -n 's/^ms_per_forward=//p'; }
in_use=$("$bin" --iterations 10)
reference=$(LD_LIBRARY_PATH=$reference_dir "$bin" --iterations 3)
echo "$in_use" | sed 's/^/in_use./'
echo "$reference" | sed 's/^/reference./'
a=$(echo "$in_use" | ms); b=$(echo "$reference" | ms)
awk -v a="$a" -v b="$b" 'BEGIN { printf "speedup_over_reference=%.2f\n", b / a }'
