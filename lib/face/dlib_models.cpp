#include "face/dlib_models.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <dlib/revision.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/sha256.h"

namespace idef {

namespace fs = std::filesystem;

std::string model_cache_dir() {
  if (const char* dir = std::getenv("IDEF_CACHE_DIR")) return std::string(dir) == "none" ? "" : dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/initiative-defense";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/initiative-defense";
  return "";
}

namespace {

// Writes `bytes` to `name` in the cache folder; failing is only a slower next start.
void store(const std::string& name, const std::string& bytes) {
  const std::string dir = model_cache_dir();
  if (dir.empty()) return;
  try {
    std::error_code ec;
    fs::create_directories(dir, ec);
    write_all(dir + "/" + name, bytes);
  } catch (const std::exception&) {
  }
}

std::string fetch(const std::string& name) {
  const std::string dir = model_cache_dir();
  if (dir.empty()) return "";
  // One read into a buffer of the file's size: a stream's doubling copies cost as much as
  // the parsing.
  std::ifstream in(dir + "/" + name, std::ios::binary | std::ios::ate);
  if (!in) return "";
  std::string bytes(static_cast<std::size_t>(in.tellg()), '\0');
  in.seekg(0);
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) return "";
  return bytes;
}

const std::string kDlibVersion = std::to_string(DLIB_MAJOR_VERSION) + "." + std::to_string(DLIB_MINOR_VERSION) +
                                 "." + std::to_string(DLIB_PATCH_VERSION);

// --- The predictor's parts, and their raw form --------------------------------------------

using Forests = std::vector<std::vector<dlib::impl::regression_tree>>;
using PixelCoordinates = std::vector<std::vector<dlib::vector<float, 2>>>;

struct PredictorParts {
  dlib::matrix<float, 0, 1> initial_shape;
  Forests forests;
  PixelCoordinates pixels;  // each cascade's feature pixels, in the initial shape's frame

  dlib::shape_predictor build() const { return dlib::shape_predictor(initial_shape, forests, pixels); }
};

// dlib's own file, read part by part as its deserialize does; the feature pixels come from
// each one's anchor landmark and offset.
PredictorParts read_dlib_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot open the landmark model");
  PredictorParts parts;
  std::vector<std::vector<unsigned long>> anchors;
  PixelCoordinates deltas;
  try {
    int version = 0;
    dlib::deserialize(version, in);
    if (version != 1) throw dlib::serialization_error("unexpected version " + std::to_string(version));
    dlib::deserialize(parts.initial_shape, in);
    dlib::deserialize(parts.forests, in);
    dlib::deserialize(anchors, in);
    dlib::deserialize(deltas, in);
  } catch (const std::exception& e) {
    // dlib's messages run over several lines; the first one says enough.
    std::string why = e.what();
    throw InputError(path, "not a dlib shape predictor model (" + why.substr(0, why.find('\n')) + ")");
  }
  const long parts_count = parts.initial_shape.size() / 2;
  if (anchors.size() != parts.forests.size() || deltas.size() != anchors.size())
    throw InputError(path, "not a dlib shape predictor model (its cascades disagree in number)");
  parts.pixels.resize(anchors.size());
  for (std::size_t c = 0; c < anchors.size(); ++c) {
    if (deltas[c].size() != anchors[c].size())
      throw InputError(path, "not a dlib shape predictor model (feature pixels and offsets disagree)");
    for (std::size_t i = 0; i < anchors[c].size(); ++i) {
      if (long(anchors[c][i]) >= parts_count) throw InputError(path, "not a dlib shape predictor model (bad anchor)");
      parts.pixels[c].push_back(dlib::impl::location(parts.initial_shape, anchors[c][i]) + deltas[c][i]);
    }
  }
  return parts;
}

// Raw form: a magic line, then counts as uint64 and values as float32 in this machine's
// byte order, ending in the hex SHA-256 of everything before it.
const char kRawMagic[] = "idef dlib shape predictor raw 1\n";

std::string checksum(const std::string& bytes, std::size_t size) {
  Sha256 hash;
  hash.update(bytes.data(), size);
  return hash.hex_digest();
}

class RawWriter {
 public:
  void count(std::uint64_t n) { bytes(&n, sizeof n); }
  void floats(const float* p, std::size_t n) { bytes(p, n * sizeof(float)); }
  void bytes(const void* p, std::size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::string& str() { return out_; }

 private:
  std::string out_;
};

class RawReader {
 public:
  explicit RawReader(const std::string& in) : in_(in) {}
  std::uint64_t count(std::uint64_t most) {
    std::uint64_t n = 0;
    bytes(&n, sizeof n);
    if (n > most) throw std::runtime_error("count out of range");
    return n;
  }
  void floats(float* p, std::size_t n) { bytes(p, n * sizeof(float)); }
  void bytes(void* p, std::size_t n) {
    if (n > in_.size() - at_) throw std::runtime_error("truncated");
    std::memcpy(p, in_.data() + at_, n);
    at_ += n;
  }
  std::size_t at() const { return at_; }

 private:
  const std::string& in_;
  std::size_t at_ = 0;
};

std::string to_raw(const PredictorParts& parts) {
  RawWriter w;
  w.bytes(kRawMagic, sizeof kRawMagic - 1);
  w.count(parts.initial_shape.size());
  w.floats(&parts.initial_shape(0), parts.initial_shape.size());
  w.count(parts.forests.size());
  for (std::size_t c = 0; c < parts.forests.size(); ++c) {
    w.count(parts.pixels[c].size());
    for (const auto& p : parts.pixels[c]) w.floats(&p.x(), 1), w.floats(&p.y(), 1);
    w.count(parts.forests[c].size());
    for (const auto& tree : parts.forests[c]) {
      w.count(tree.splits.size());
      for (const auto& s : tree.splits) w.count(s.idx1), w.count(s.idx2), w.floats(&s.thresh, 1);
      for (const auto& leaf : tree.leaf_values) w.floats(&leaf(0), leaf.size());
    }
  }
  const std::string digest = checksum(w.str(), w.str().size());
  w.bytes(digest.data(), digest.size());
  return std::move(w.str());
}

// Everything is checked that dlib would index with: a damaged file is rebuilt, never used.
PredictorParts from_raw(const std::string& raw) {
  const std::size_t magic = sizeof kRawMagic - 1;
  if (raw.size() < magic + 64 || raw.compare(0, magic, kRawMagic) != 0) throw std::runtime_error("not a raw predictor");
  if (raw.compare(raw.size() - 64, 64, checksum(raw, raw.size() - 64)) != 0) throw std::runtime_error("checksum");
  RawReader r(raw);
  std::string skip(magic, '\0');
  r.bytes(skip.data(), magic);
  PredictorParts parts;
  const std::uint64_t shape = r.count(1000);
  if (shape == 0 || shape % 2) throw std::runtime_error("shape size");
  parts.initial_shape.set_size(long(shape));
  r.floats(&parts.initial_shape(0), shape);
  const std::uint64_t cascades = r.count(100);
  parts.forests.resize(cascades);
  parts.pixels.resize(cascades);
  for (std::uint64_t c = 0; c < cascades; ++c) {
    const std::uint64_t pixels = r.count(100000);
    parts.pixels[c].resize(pixels);
    for (auto& p : parts.pixels[c]) r.floats(&p.x(), 1), r.floats(&p.y(), 1);
    parts.forests[c].resize(r.count(100000));
    for (auto& tree : parts.forests[c]) {
      const std::uint64_t splits = r.count(1 << 20);
      if (((splits + 1) & splits) != 0) throw std::runtime_error("tree not full");
      tree.splits.resize(splits);
      for (auto& s : tree.splits) {
        s.idx1 = r.count(pixels - 1), s.idx2 = r.count(pixels - 1);
        r.floats(&s.thresh, 1);
      }
      tree.leaf_values.resize(splits + 1);
      for (auto& leaf : tree.leaf_values) {
        leaf.set_size(long(shape));
        r.floats(&leaf(0), shape);
      }
    }
  }
  if (r.at() != raw.size() - 64) throw std::runtime_error("trailing bytes");
  return parts;
}

}  // namespace

dlib::frontal_face_detector load_frontal_face_detector() {
  const std::string name = "frontal-face-detector-dlib-" + kDlibVersion + ".dat";
  const std::string cached = fetch(name);
  if (!cached.empty()) {
    try {
      std::istringstream in(cached);
      dlib::frontal_face_detector detector;
      dlib::deserialize(detector, in);
      if (detector.num_detectors() > 0) return detector;
    } catch (const std::exception&) {
    }
  }
  dlib::frontal_face_detector detector = dlib::get_frontal_face_detector();
  std::ostringstream out;
  dlib::serialize(detector, out);
  store(name, out.str());
  return detector;
}

namespace {

PredictorParts load_parts(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw InputError(path, "no such file (the dlib 68-point landmark model, Debian package libdlib-data)");
  // Keyed by the file's path, size and time: a replaced model file is read again.
  const auto stamp = fs::last_write_time(path, ec).time_since_epoch().count();
  const std::string id = fs::absolute(path).string() + "|" + std::to_string(fs::file_size(path, ec)) + "|" +
                         std::to_string(stamp) + "|" + kDlibVersion;
  const std::string key = checksum(id, id.size());
  const std::string name = "shape-predictor-" + key.substr(0, 16) + ".raw";
  PredictorParts parts;
  bool have = false;
  if (const std::string cached = fetch(name); !cached.empty()) {
    try {
      parts = from_raw(cached);
      have = true;
    } catch (const std::exception&) {
    }
  }
  if (!have) {
    parts = read_dlib_file(path);
    store(name, to_raw(parts));
  }
  if (parts.initial_shape.size() != 2 * 68)
    throw InputError(path, "landmark model has " + std::to_string(parts.initial_shape.size() / 2) +
                               " points, expected 68");
  return parts;
}

}  // namespace

dlib::shape_predictor load_shape_predictor(const std::string& path) { return load_parts(path).build(); }

LandmarkPredictor load_landmark_predictor(const std::string& path) {
  const PredictorParts parts = load_parts(path);
  LandmarkPredictor predictor;
  predictor.initial_shape_ = parts.initial_shape;
  const unsigned dims = static_cast<unsigned>(parts.initial_shape.size());
  for (std::size_t c = 0; c < parts.forests.size(); ++c) {
    LandmarkPredictor::Cascade cascade;
    // dlib's own encoding of the feature pixels, as its constructor makes it.
    dlib::impl::create_shape_relative_encoding(parts.initial_shape, parts.pixels[c], cascade.anchors, cascade.deltas);
    for (const auto& tree : parts.forests[c]) {
      cascade.first_split.push_back(static_cast<unsigned>(cascade.left.size()));
      cascade.split_count.push_back(static_cast<unsigned>(tree.splits.size()));
      cascade.first_leaf.push_back(static_cast<unsigned>(cascade.leaves.size()));
      for (const auto& split : tree.splits) {
        cascade.left.push_back(static_cast<unsigned>(split.idx1));
        cascade.right.push_back(static_cast<unsigned>(split.idx2));
        cascade.threshold.push_back(split.thresh);
      }
      for (const auto& leaf : tree.leaf_values) {
        if (leaf.size() != long(dims)) throw InputError(path, "not a dlib shape predictor model (leaf size)");
        cascade.leaves.insert(cascade.leaves.end(), &leaf(0), &leaf(0) + dims);
      }
    }
    predictor.cascades_.push_back(std::move(cascade));
  }
  return predictor;
}

dlib::full_object_detection LandmarkPredictor::operator()(const Rgb8& image, const dlib::rectangle& rect) const {
  const RgbPixels pixels{&image};
  dlib::matrix<float, 0, 1> shape = initial_shape_;
  const long dims = shape.size();
  std::vector<float> values;
  std::vector<const float*> chosen;
  for (const Cascade& cascade : cascades_) {
    dlib::impl::extract_feature_pixel_values(pixels, rect, shape, initial_shape_, cascade.anchors, cascade.deltas,
                                             values);
    // Every tree of the cascade reads the same pixel values: walk them all first (dlib's
    // test and child numbering) ...
    const std::size_t trees = cascade.first_split.size();
    chosen.resize(trees);
    for (std::size_t t = 0; t < trees; ++t) {
      const unsigned first = cascade.first_split[t], count = cascade.split_count[t];
      unsigned i = 0;
      while (i < count) {
        const unsigned s = first + i;
        i = values[cascade.left[s]] - values[cascade.right[s]] > cascade.threshold[s] ? 2 * i + 1 : 2 * i + 2;
      }
      chosen[t] = cascade.leaves.data() + cascade.first_leaf[t] + std::size_t(i - count) * dims;
    }
    // ... then add their leaves in order, fetching a few trees ahead.
    constexpr std::size_t kAhead = 6;
    for (std::size_t t = 0; t < trees; ++t) {
      if (t + kAhead < trees)
        for (long k = 0; k < dims; k += 16) __builtin_prefetch(chosen[t + kAhead] + k);
      const float* leaf = chosen[t];
      for (long k = 0; k < dims; ++k) shape(k) += leaf[k];
    }
  }
  const dlib::point_transform_affine to_image = dlib::impl::unnormalizing_tform(rect);
  std::vector<dlib::point> parts(dims / 2);
  for (std::size_t i = 0; i < parts.size(); ++i) parts[i] = to_image(dlib::impl::location(shape, i));
  return dlib::full_object_detection(rect, parts);
}

}  // namespace idef
