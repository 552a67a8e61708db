#!/bin/sh
# Fetches real photos for the tests from Debian packages without installing them:
# skimage's astronaut.png (public-domain NASA portrait) and, from opencv-doc's tutorial
# images, example.jpg (three faces side by side, a progressive JPEG with EXIF) and 2.jpg
# (a grid of 24 faces). Idempotent; output in $1.
set -eu
out=${1:?usage: fetch-testdata.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)  # the work below happens in another directory
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
download() {  # PACKAGE
  apt-get download "$1" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get download "$1" >/dev/null; }
}
if [ ! -s "$out/astronaut.png" ]; then
  download python3-skimage
  dpkg -x python3-skimage_*.deb x
  cp x/usr/lib/python3/dist-packages/skimage/data/astronaut.png "$out/astronaut.png.part"
  mv "$out/astronaut.png.part" "$out/astronaut.png"
fi
if [ ! -s "$out/opencv-three-faces.jpg" ] || [ ! -s "$out/opencv-face-grid.jpg" ]; then
  download opencv-doc
  html=./usr/share/doc/opencv-doc/opencv4/html
  dpkg --fsys-tarfile opencv-doc_*.deb | tar -x "$html/example.jpg" "$html/2.jpg"
  cp "$html/example.jpg" "$out/opencv-three-faces.jpg.part"
  cp "$html/2.jpg" "$out/opencv-face-grid.jpg.part"
  mv "$out/opencv-three-faces.jpg.part" "$out/opencv-three-faces.jpg"
  mv "$out/opencv-face-grid.jpg.part" "$out/opencv-face-grid.jpg"
fi
