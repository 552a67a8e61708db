// dlib's two face models, loaded fast. Read from their own files they take about 1.2 s at
// every start (dlib decodes the HOG detector from a compressed string in its library, and
// the 100 MB landmark predictor float by float), more than a photo's whole protection. So
// each is kept, once read, in a cache folder in a form that loads in milliseconds:
//   $IDEF_CACHE_DIR, else $XDG_CACHE_HOME/initiative-defense, else ~/.cache/initiative-defense
// (IDEF_CACHE_DIR=none: no cache). A cache that cannot be written is no error; one that
// cannot be read is rebuilt.
//
// The predictor is rebuilt through dlib's public constructor from its trees and feature
// pixels in both cases, so its landmarks do not depend on whether the cache was there.
#pragma once
#include <string>

#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>

namespace idef {

// The folder above, or "" when caching is off or there is no home to put it in.
std::string model_cache_dir();

dlib::frontal_face_detector load_frontal_face_detector();

// Throws InputError naming `path` when it is missing or not a 68-point dlib predictor.
dlib::shape_predictor load_shape_predictor(const std::string& path);

}  // namespace idef
