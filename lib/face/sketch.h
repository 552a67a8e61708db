// What a reenactment model sees and where the defence looks (docs/reenactment.md): the
// landmark sketch z that drives a Face2Face-style translator, and the face mask m(x) that
// weights the defence's influence loss.
//
// Both are plain float rasters (row-major, one value per pixel, values in [0, 1]) in the
// coordinates of the landmarks: pixel (x, y) has its centre at (x, y), as in face.h.
#pragma once
#include <vector>

#include "face/face.h"

namespace idef {

struct Raster {
  int width = 0, height = 0;
  std::vector<float> values;  // width × height, row-major
  float at(int x, int y) const { return values[static_cast<std::size_t>(y) * width + x]; }
};

// The pix2pix "face2face" sketch: white polylines on black of the jaw, both brows, the nose
// bridge and the nostrils (open), both eyes and both lip contours (closed). The line is
// `thickness` pixels wide, anti-aliased (coverage of each pixel in [0, 1]); thickness <= 0
// picks the convention's width for the raster: max(1, max(width, height) / 128) · 1.5.
Raster landmark_sketch(const Landmarks& landmarks, int width, int height, double thickness = 0);

// The face region m(x): the filled convex hull of the jaw line and the brows raised by a
// forehead band (40% of the brow-to-chin height, along the face's own up direction, so a
// tilted head gets a tilted band). Pixels inside are 1, outside `outside` (the paper's 0.01);
// the border is anti-aliased over one pixel.
Raster face_mask(const Landmarks& landmarks, int width, int height, float outside = 0.01f);

}  // namespace idef
