// What the face detector finds: a box, its score and dlib's 68 landmarks (iBUG 300-W order:
// jaw 0–16, brows 17–26, nose 27–35, eyes 36–47 with the image-left eye first, lips 48–67).
// Image coordinates: pixel (x, y) has its centre at (x, y).
#pragma once
#include <array>

namespace idef {

struct Point2 {
  double x = 0, y = 0;
};

struct FaceBox {
  double left = 0, top = 0, right = 0, bottom = 0;
  double width() const { return right - left; }
  double height() const { return bottom - top; }
  bool contains(Point2 p) const { return p.x >= left && p.x <= right && p.y >= top && p.y <= bottom; }
};

constexpr int kLandmarkCount = 68;
using Landmarks = std::array<Point2, kLandmarkCount>;

// Index ranges [first, last] of landmark groups in dlib's order.
namespace landmark {
constexpr int kJaw[2] = {0, 16};
constexpr int kLeftBrow[2] = {17, 21};  // image left
constexpr int kRightBrow[2] = {22, 26};
constexpr int kNoseBridge[2] = {27, 30};
constexpr int kNoseTip = 30;
constexpr int kNostrils[2] = {31, 35};
constexpr int kLeftEye[2] = {36, 41};  // image left
constexpr int kRightEye[2] = {42, 47};
constexpr int kOuterLips[2] = {48, 59};
constexpr int kInnerLips[2] = {60, 67};
constexpr int kMouthLeft = 48, kMouthRight = 54;
}  // namespace landmark

struct Face {
  FaceBox box;
  double score = 0;  // detector confidence; 0 when only landmarks were located
  Landmarks landmarks;
};

}  // namespace idef
