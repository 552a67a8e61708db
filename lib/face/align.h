// Similarity alignment of a face to a canonical square crop, and the way back.
//
// The crop frames the face like CelebA's aligned images after StarGAN's 178-pixel centre
// crop (the framing the attribute networks are trained on): eye centres ~51% from the top
// and ~22% of the side apart, mouth corners ~74% from the top, some forehead above and the
// chin near the bottom edge. The fit is a least-squares similarity (rotation, uniform
// scale, translation) of five points from the 68 landmarks (eye centres, nose tip, mouth
// corners) to that template, so it does not depend on the crop size.
#pragma once
#include <array>
#include <functional>
#include <vector>

#include "face/face.h"
#include "io/rgb8.h"

namespace idef {

// x' = a·x + b·y + c,  y' = d·x + e·y + f.
struct Affine2x3 {
  double a = 1, b = 0, c = 0, d = 0, e = 1, f = 0;
  Point2 operator()(Point2 p) const { return {a * p.x + b * p.y + c, d * p.x + e * p.y + f}; }
  Affine2x3 inverse() const;
  // this ∘ first: apply `first`, then this.
  Affine2x3 after(const Affine2x3& first) const;
};

struct FaceAlignment {
  // To unit crop coordinates: (0, 0) is the crop's top-left corner, (1, 1) its bottom-right.
  Affine2x3 unit_from_image;
  // The same in pixels of a size×size crop (pixel centres at integers, like the image's).
  Affine2x3 crop_from_image(int size) const;
  Affine2x3 image_from_crop(int size) const;
  // Side of the crop square in image pixels.
  double crop_side_in_image() const;
};

// The template points in unit crop coordinates: image-left eye, image-right eye, nose tip,
// left and right mouth corners.
const std::array<Point2, 5>& canonical_face_points();
// The five points the fit uses, taken from the 68 landmarks in the template's order.
std::array<Point2, 5> face_points(const Landmarks& landmarks);

FaceAlignment align_face(const Landmarks& landmarks);
// Least-squares similarity taking `from` onto `to` (no reflection).
Affine2x3 fit_similarity(const std::vector<Point2>& from, const std::vector<Point2>& to);

// The canonical crop, bilinearly sampled; outside the image the edge pixels repeat.
Rgb8 extract_crop(const Rgb8& image, const FaceAlignment& alignment, int size);

// A part of a width×height×3 float image: the box [left, left + width) × [top, top + height)
// and its values, row-major, channels last; everything outside it is 0.
struct ImageRegion {
  int left = 0, top = 0, width = 0, height = 0;
  std::vector<float> values;
  bool empty() const { return width <= 0 || height <= 0; }
};

// The bounding box of a size×size crop's footprint within a width×height image (no values;
// empty when the crop misses the image).
ImageRegion crop_footprint(const FaceAlignment& alignment, int size, int width, int height);

// Called with the pasted values of `count` pixels from (x, y) on, 3 floats each.
using PastedRow = std::function<void(int y, int x, int count, const float* values)>;
// paste_back_region one row at a time, without the region's buffer: only the span of each
// row that the crop covers is passed (every pixel of the box outside the spans is 0).
// Returns the box (no values).
ImageRegion paste_back_rows(const std::vector<float>& delta_crop, const FaceAlignment& alignment, int width,
                            int height, double feather, const PastedRow& row);

// Warps a perturbation computed on the crop (size×size×3 floats, row-major, channels last)
// back onto a width×height image, weighted by a mask that is 1 inside the crop and falls
// smoothly to 0 over the outer `feather` (a fraction of the crop side) of it. Returns the
// crop footprint's bounding box within the image (empty when it misses the image); the
// image is exactly 0 outside it.
ImageRegion paste_back_region(const std::vector<float>& delta_crop, const FaceAlignment& alignment, int width,
                              int height, double feather = 0.1);

// The same as a whole width×height×3 image.
std::vector<float> paste_back(const std::vector<float>& delta_crop, const FaceAlignment& alignment,
                              int width, int height, double feather = 0.1);

}  // namespace idef
