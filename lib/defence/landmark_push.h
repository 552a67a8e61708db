// The landmark push (docs/reenactment.md#landmark-push): a reenactment forger aligns every
// frame it trains on by dlib's 68 landmarks, so a change that moves those landmarks the same
// way in every frame teaches its model faces that are turned against their sketches. dlib's
// predictor is a cascade of regression trees whose splits compare the grey values of two
// pixels: LandmarkPredictor::push picks, pixel by pixel, the change within the cap that
// sends the trees' leaves furthest along a direction. Here the direction turns the five
// points the alignment fits (eye centres, nose tip, mouth corners) about their centre; video
// frames change only their luma, and each change is chosen on the frame as a forger decodes
// it (libswscale), so that it holds for the pixels the forger's predictor reads.
#pragma once
#include <vector>

#include "face/dlib_models.h"
#include "face/face.h"
#include "io/frame.h"
#include "io/rgb8.h"

namespace idef {

// One weight per shape coordinate (x0, y0, x1, ...): the eye landmarks (each eye's six
// weighted to its centre), the nose tip and the mouth corners turned about the centre of
// the five points, counter-clockwise on the image; the other landmarks weigh nothing.
std::vector<float> turning_direction(const Landmarks& face);

// Pushes the landmarks of `face` (its detector box and landmarks, found on `original`) in
// `image`, which is `original` or a protected copy of it. The pixels the predictor reads are
// the push's alone: each becomes original ± l for l ≤ cap (all three channels alike) where
// that turns the landmarks further, else the original's value; every other pixel keeps its
// value in `image`. Returns the pixels changed from the original.
int push_landmarks(Rgb8& image, const Rgb8& original, const Face& face, const LandmarkPredictor& predictor, int cap);

// The same for a video frame: `frame` is `original` or a protected copy of it; each pixel
// the predictor reads takes the original's luma or the original's luma ± l, l from 1 up to
// the most whose decoded RGB stays within `cap` levels of the original's, decoded as to_rgb24
// does (libswscale, as a forger reads the frame), and its chroma block the original's
// chroma; the block's other pixels keep `frame`'s luma where they stay within the cap as
// decoded. Returns the pixels changed from the original.
int push_landmarks(VideoFrame& frame, const VideoFrame& original, const ColourSpec& colour, const Face& face,
                   const LandmarkPredictor& predictor, int cap);

}  // namespace idef
