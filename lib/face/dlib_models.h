// dlib's two face models, loaded fast. Read from their own files they take about 1.2 s at
// every start (dlib decodes the HOG detector from a compressed string in its library, and
// the 100 MB landmark predictor float by float), more than a photo's whole protection. So
// each is kept, once read, in a cache folder in a form that loads in milliseconds:
//   $IDEF_CACHE_DIR, else $XDG_CACHE_HOME/initiative-defense, else ~/.cache/initiative-defense
// (IDEF_CACHE_DIR=none: no cache). A cache that cannot be written is no error; one that
// cannot be read is rebuilt.
//
// The landmark predictor's cache is its own layout (LandmarkPredictor below), checksummed
// and mapped into memory: its 65 MB of leaves are not copied, and a face's trees read only
// the pages they reach. Its landmarks are the same with or without the cache.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>

#include "face/face.h"
#include "io/rgb8.h"

namespace idef {

// A face box as dlib's predictor takes it: corners rounded to whole pixels.
dlib::rectangle dlib_rect(const FaceBox& box);

// An Rgb8 seen through dlib's generic image interface, without a copy: its interleaved bytes
// are dlib::rgb_pixel's layout (red, green, blue).
struct RgbPixels {
  const Rgb8* image;
};
inline long num_rows(const RgbPixels& p) { return p.image->height; }
inline long num_columns(const RgbPixels& p) { return p.image->width; }
inline long width_step(const RgbPixels& p) { return p.image->width * 3L; }
inline const void* image_data(const RgbPixels& p) { return p.image->data(); }

}  // namespace idef

namespace dlib {
template <>
struct image_traits<idef::RgbPixels> {
  typedef rgb_pixel pixel_type;
};
}  // namespace dlib

namespace idef {

// The folder above, or "" when caching is off or there is no home to put it in.
std::string model_cache_dir();

dlib::frontal_face_detector load_frontal_face_detector();

// Throws InputError naming `path` when it is missing or not a 68-point dlib predictor.
dlib::shape_predictor load_shape_predictor(const std::string& path);

// The same predictor laid out for speed. dlib keeps each leaf of its ~7500 trees in a heap
// block of its own and adds a tree's leaf as soon as the tree is walked, so a face's
// landmarks wait on thousands of cache misses one after another (~5 ms a face, most of a
// video frame's tracking). Here each cascade's leaves lie in one array, all its trees are
// walked first and their leaves then added with the next ones prefetched. The additions are
// dlib's, in dlib's order: the landmarks are the same to the bit (a test compares them).
class LandmarkPredictor {
 public:
  struct Cascade {
    std::vector<unsigned long> anchors;          // each feature pixel's landmark
    std::vector<dlib::vector<float, 2>> deltas;  // and its offset from it
    std::vector<unsigned> first_split;           // per tree, into the split arrays
    std::vector<unsigned> split_count;
    std::vector<unsigned> first_leaf;  // per tree, into leaves (in floats)
    std::vector<unsigned> left, right;  // per split: the two feature pixels compared
    std::vector<float> threshold;
    const float* leaves = nullptr;  // leaf_count floats, kept by the predictor's storage
    std::size_t leaf_count = 0;
    // The leaf (`dims` floats) that tree t reaches for the cascade's feature pixel `values`
    // (dlib's test and child numbering).
    const float* leaf(std::size_t t, const std::vector<float>& values, long dims) const;
  };
  // The landmarks of the face in `rect` of `image`; reads only pixels near it.
  dlib::full_object_detection operator()(const Rgb8& image, const dlib::rectangle& rect) const;

  // Which version of each pixel pushes the landmarks of the face in `rect` furthest along
  // `direction` (one weight per shape coordinate: x0, y0, x1, ...). `versions` are the image
  // as the predictor would see it under each allowed change (versions[0] unchanged), e.g.
  // a video frame decoded with its luma lowered and raised, so that the choice holds for the
  // pixels as they will be read back. The trees are white boxes, each split a comparison of
  // two pixels' grey difference with a threshold: one cascade at a time, in the order the
  // predictor walks them, each pixel the cascade reads takes the version that gives its trees
  // the leaves furthest along `direction`; a pixel an earlier cascade read keeps its choice.
  // Returns one version index per pixel (0 where no tree reads it); `read` (optional) gets
  // which pixels the trees read, whatever their choice. Measured by bench_landmark_shift
  // (bench/results/reenact-notes.md).
  std::vector<std::uint8_t> push(const std::vector<const Rgb8*>& versions, const dlib::rectangle& rect,
                                 const std::vector<float>& direction, std::vector<bool>* read = nullptr) const;
  // The same on an RGB image whose pixels may change by ±`levels` (all three channels alike,
  // so their grey value moves by as much); returns the changed image.
  Rgb8 push(const Rgb8& image, const dlib::rectangle& rect, const std::vector<float>& direction, int levels) const;

 private:
  friend LandmarkPredictor load_landmark_predictor(const std::string& path);
  // The cache file's form (see load_landmark_predictor), and back from it in place: the
  // leaves are used where they lie in `data`, which `keep` keeps.
  std::string to_raw() const;
  static LandmarkPredictor from_raw(const char* data, std::size_t size, std::shared_ptr<const void> keep);

  dlib::matrix<float, 0, 1> initial_shape_;
  std::vector<Cascade> cascades_;
  std::shared_ptr<const void> storage_;  // the leaves: a mapped cache file or an array
};

// As load_shape_predictor, the same errors.
LandmarkPredictor load_landmark_predictor(const std::string& path);

}  // namespace idef
