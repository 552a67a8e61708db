#!/bin/sh
# Fetches real photos for the tests from Debian packages without installing them:
# skimage's astronaut.png (public-domain NASA portrait). Idempotent; output in $1.
set -eu
out=${1:?usage: fetch-testdata.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)  # the work below happens in another directory
[ -s "$out/astronaut.png" ] && exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download python3-skimage >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get download python3-skimage >/dev/null; }
dpkg -x python3-skimage_*.deb x
cp x/usr/lib/python3/dist-packages/skimage/data/astronaut.png "$out/astronaut.png.part"
mv "$out/astronaut.png.part" "$out/astronaut.png"
