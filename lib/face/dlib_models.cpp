#include "face/dlib_models.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
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
  try {
    return read_all(dir + "/" + name);
  } catch (const std::exception&) {
    return "";  // not there yet, or unreadable: read from the model again
  }
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

std::string checksum(const void* bytes, std::size_t size) {
  Sha256 hash;
  hash.update(bytes, size);
  return hash.hex_digest();
}

// A cache file mapped read-only: the predictor's leaves (65 MB) are used where they lie,
// and only the pages a face's trees reach are ever read.
class MappedFile {
 public:
  static std::shared_ptr<const MappedFile> open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nullptr;
    struct stat st {};
    void* data = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_size > 0)
      data = mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (data == MAP_FAILED) return nullptr;
    return std::shared_ptr<const MappedFile>(new MappedFile(data, static_cast<std::size_t>(st.st_size)));
  }
  ~MappedFile() { munmap(data_, size_); }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const char* data() const { return static_cast<const char*>(data_); }
  std::size_t size() const { return size_; }

 private:
  MappedFile(void* data, std::size_t size) : data_(data), size_(size) {}
  void* data_;
  std::size_t size_;
};

// The LandmarkPredictor's raw form, in its own layout: a magic line; the initial shape; per
// cascade its arrays, each preceded by its length (uint64) and the leaves aligned to 64
// bytes; then the hex SHA-256 of everything before it. Numbers in this machine's byte order.
const char kRawMagic[] = "idef landmark predictor raw 2\n";
constexpr std::size_t kLeafAlignment = 64;

class RawWriter {
 public:
  template <typename T>
  void array(const std::vector<T>& v) {
    count(v.size());
    bytes(v.data(), v.size() * sizeof(T));
  }
  void count(std::uint64_t n) { bytes(&n, sizeof n); }
  void align() { out_.resize((out_.size() + kLeafAlignment - 1) / kLeafAlignment * kLeafAlignment, '\0'); }
  void bytes(const void* p, std::size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::string& str() { return out_; }

 private:
  std::string out_;
};

// Reads a raw form in place; throws on anything out of range.
class RawReader {
 public:
  RawReader(const char* data, std::size_t size) : data_(data), size_(size) {}
  std::uint64_t count(std::uint64_t most) {
    std::uint64_t n = 0;
    std::memcpy(&n, take(sizeof n), sizeof n);
    if (n > most) throw std::runtime_error("count out of range");
    return n;
  }
  template <typename T>
  std::vector<T> array(std::uint64_t most) {
    const std::uint64_t n = count(most);
    std::vector<T> v(n);
    std::memcpy(v.data(), take(n * sizeof(T)), n * sizeof(T));
    return v;
  }
  void align() { take((kLeafAlignment - at_ % kLeafAlignment) % kLeafAlignment); }
  const char* take(std::size_t n) {
    if (n > size_ - at_) throw std::runtime_error("truncated");
    const char* p = data_ + at_;
    at_ += n;
    return p;
  }
  std::size_t at() const { return at_; }

 private:
  const char* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

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

void check_model_file(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw InputError(path, "no such file (the dlib 68-point landmark model, Debian package libdlib-data)");
}

void check_points(const std::string& path, long shape_size) {
  if (shape_size != 2 * 68)
    throw InputError(path, "landmark model has " + std::to_string(shape_size / 2) + " points, expected 68");
}

// The predictor from dlib's parts: each cascade's trees flattened, its leaves in one array.
LandmarkPredictor::Cascade flatten(const PredictorParts& parts, std::size_t c, std::vector<float>& leaves,
                                   const std::string& path) {
  const long dims = parts.initial_shape.size();
  LandmarkPredictor::Cascade cascade;
  // dlib's own encoding of the feature pixels, as its constructor makes it.
  dlib::impl::create_shape_relative_encoding(parts.initial_shape, parts.pixels[c], cascade.anchors, cascade.deltas);
  for (const auto& tree : parts.forests[c]) {
    cascade.first_split.push_back(static_cast<unsigned>(cascade.left.size()));
    cascade.split_count.push_back(static_cast<unsigned>(tree.splits.size()));
    cascade.first_leaf.push_back(static_cast<unsigned>(leaves.size()));
    for (const auto& split : tree.splits) {
      cascade.left.push_back(static_cast<unsigned>(split.idx1));
      cascade.right.push_back(static_cast<unsigned>(split.idx2));
      cascade.threshold.push_back(split.thresh);
    }
    for (const auto& leaf : tree.leaf_values) {
      if (leaf.size() != dims) throw InputError(path, "not a dlib shape predictor model (leaf size)");
      leaves.insert(leaves.end(), &leaf(0), &leaf(0) + dims);
    }
  }
  return cascade;
}

}  // namespace

dlib::shape_predictor load_shape_predictor(const std::string& path) {
  check_model_file(path);
  const PredictorParts parts = read_dlib_file(path);
  check_points(path, parts.initial_shape.size());
  return parts.build();
}

std::string LandmarkPredictor::to_raw() const {
  RawWriter w;
  w.bytes(kRawMagic, sizeof kRawMagic - 1);
  w.array(std::vector<float>(initial_shape_.begin(), initial_shape_.end()));
  w.count(cascades_.size());
  for (const Cascade& c : cascades_) {
    w.array(c.anchors);
    std::vector<float> deltas;
    for (const auto& d : c.deltas) deltas.push_back(d.x()), deltas.push_back(d.y());
    w.array(deltas);
    for (const auto* v : {&c.first_split, &c.split_count, &c.first_leaf, &c.left, &c.right}) w.array(*v);
    w.array(c.threshold);
    w.count(c.leaf_count);
    w.align();
    w.bytes(c.leaves, c.leaf_count * sizeof(float));
  }
  const std::string digest = checksum(w.str().data(), w.str().size());
  w.bytes(digest.data(), digest.size());
  return std::move(w.str());
}

// Everything the predictor indexes with is checked: a damaged file is rebuilt, never used.
LandmarkPredictor LandmarkPredictor::from_raw(const char* data, std::size_t size, std::shared_ptr<const void> keep) {
  const std::size_t magic = sizeof kRawMagic - 1;
  if (size < magic + 64 || std::memcmp(data, kRawMagic, magic) != 0) throw std::runtime_error("not a raw predictor");
  if (checksum(data, size - 64) != std::string(data + size - 64, 64)) throw std::runtime_error("checksum");
  RawReader r(data, size - 64);
  r.take(magic);
  LandmarkPredictor predictor;
  const std::vector<float> shape = r.array<float>(1000);
  if (shape.empty() || shape.size() % 2) throw std::runtime_error("shape size");
  predictor.initial_shape_.set_size(long(shape.size()));
  std::copy(shape.begin(), shape.end(), predictor.initial_shape_.begin());
  const std::uint64_t dims = shape.size(), cascades = r.count(100);
  for (std::uint64_t k = 0; k < cascades; ++k) {
    Cascade c;
    c.anchors = r.array<unsigned long>(100000);
    const std::vector<float> deltas = r.array<float>(200000);
    if (deltas.size() != 2 * c.anchors.size()) throw std::runtime_error("feature pixels");
    for (std::size_t i = 0; i < c.anchors.size(); ++i) {
      if (c.anchors[i] >= dims / 2) throw std::runtime_error("anchor");
      c.deltas.emplace_back(deltas[2 * i], deltas[2 * i + 1]);
    }
    for (auto* v : {&c.first_split, &c.split_count, &c.first_leaf, &c.left, &c.right})
      *v = r.array<unsigned>(std::uint64_t(1) << 24);
    c.threshold = r.array<float>(std::uint64_t(1) << 24);
    c.leaf_count = r.count(std::uint64_t(1) << 32);
    r.align();
    c.leaves = reinterpret_cast<const float*>(r.take(c.leaf_count * sizeof(float)));
    const std::size_t trees = c.first_split.size(), splits = c.left.size(), pixels = c.anchors.size();
    if (c.split_count.size() != trees || c.first_leaf.size() != trees || c.right.size() != splits ||
        c.threshold.size() != splits)
      throw std::runtime_error("array sizes");
    for (std::size_t t = 0; t < trees; ++t) {
      const std::uint64_t count = c.split_count[t];
      if (((count + 1) & count) != 0) throw std::runtime_error("tree not full");
      if (c.first_split[t] + count > splits) throw std::runtime_error("split range");
      if (c.first_leaf[t] + (count + 1) * dims > c.leaf_count) throw std::runtime_error("leaf range");
    }
    for (std::size_t i = 0; i < splits; ++i)
      if (c.left[i] >= pixels || c.right[i] >= pixels) throw std::runtime_error("feature pixel index");
    predictor.cascades_.push_back(std::move(c));
  }
  if (r.at() != size - 64) throw std::runtime_error("trailing bytes");
  predictor.storage_ = std::move(keep);
  return predictor;
}

LandmarkPredictor load_landmark_predictor(const std::string& path) {
  check_model_file(path);
  // Keyed by the file's path, size and time: a replaced model file is read again.
  std::error_code ec;
  const auto stamp = fs::last_write_time(path, ec).time_since_epoch().count();
  const std::string id = fs::absolute(path).string() + "|" + std::to_string(fs::file_size(path, ec)) + "|" +
                         std::to_string(stamp) + "|" + kDlibVersion;
  const std::string name = "landmark-predictor-" + checksum(id.data(), id.size()).substr(0, 16) + ".raw";
  const std::string dir = model_cache_dir();
  if (!dir.empty())
    if (auto file = MappedFile::open(dir + "/" + name)) {
      try {
        LandmarkPredictor predictor = LandmarkPredictor::from_raw(file->data(), file->size(), file);
        check_points(path, predictor.initial_shape_.size());
        return predictor;
      } catch (const std::runtime_error&) {
      }
    }
  const PredictorParts parts = read_dlib_file(path);
  check_points(path, parts.initial_shape.size());
  auto leaves = std::make_shared<std::vector<float>>();
  LandmarkPredictor predictor;
  predictor.initial_shape_ = parts.initial_shape;
  std::vector<std::size_t> starts;
  for (std::size_t c = 0; c < parts.forests.size(); ++c) {
    starts.push_back(leaves->size());
    predictor.cascades_.push_back(flatten(parts, c, *leaves, path));
  }
  starts.push_back(leaves->size());
  // One array for all cascades; each cascade's leaf offsets are then made its own.
  for (std::size_t c = 0; c < predictor.cascades_.size(); ++c) {
    LandmarkPredictor::Cascade& cascade = predictor.cascades_[c];
    for (unsigned& first : cascade.first_leaf) first -= static_cast<unsigned>(starts[c]);
    cascade.leaves = leaves->data() + starts[c];
    cascade.leaf_count = starts[c + 1] - starts[c];
  }
  predictor.storage_ = std::move(leaves);
  store(name, predictor.to_raw());
  // The earlier cache form (dlib's parts, "shape-predictor-*.raw", as large) is not read any
  // more: it is removed rather than left behind.
  if (!dir.empty()) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string file = it->path().filename().string();
      if (file.rfind("shape-predictor-", 0) == 0 && it->path().extension() == ".raw") fs::remove(it->path(), ec);
    }
  }
  return predictor;
}

dlib::rectangle dlib_rect(const FaceBox& box) {
  return dlib::rectangle(std::lround(box.left), std::lround(box.top), std::lround(box.right), std::lround(box.bottom));
}

const float* LandmarkPredictor::Cascade::leaf(std::size_t t, const std::vector<float>& values, long dims) const {
  const unsigned first = first_split[t], count = split_count[t];
  unsigned i = 0;
  while (i < count) {
    const unsigned s = first + i;
    i = values[left[s]] - values[right[s]] > threshold[s] ? 2 * i + 1 : 2 * i + 2;
  }
  return leaves + first_leaf[t] + std::size_t(i - count) * dims;
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
    // Every tree of the cascade reads the same pixel values: walk them all first ...
    const std::size_t trees = cascade.first_split.size();
    chosen.resize(trees);
    for (std::size_t t = 0; t < trees; ++t) chosen[t] = cascade.leaf(t, values, dims);
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

std::vector<std::uint8_t> LandmarkPredictor::push(const std::vector<const Rgb8*>& versions, const dlib::rectangle& rect,
                                                  const std::vector<float>& direction, std::vector<bool>* read) const {
  const long dims = initial_shape_.size();
  if (long(direction.size()) != dims) throw std::invalid_argument("LandmarkPredictor::push: one weight per coordinate");
  if (versions.empty() || versions.size() > 255)
    throw std::invalid_argument("LandmarkPredictor::push: between 1 and 255 versions of the image");
  const Rgb8& image = *versions[0];
  for (const Rgb8* v : versions)
    if (v->width != image.width || v->height != image.height)
      throw std::invalid_argument("LandmarkPredictor::push: the versions differ in size");
  std::vector<std::uint8_t> choice(std::size_t(image.width) * image.height, 0);
  const dlib::point_transform_affine to_image = dlib::impl::unnormalizing_tform(rect);
  const dlib::rectangle area(0, 0, image.width - 1, image.height - 1);
  std::vector<bool> frozen(choice.size(), false);
  auto grey = [&](long at, std::size_t version) {
    const std::uint8_t* p = versions[version]->data() + at * 3;
    return dlib::get_pixel_intensity(dlib::rgb_pixel(p[0], p[1], p[2]));
  };
  dlib::matrix<float, 0, 1> shape = initial_shape_;
  std::vector<float> values;
  for (const Cascade& cascade : cascades_) {
    // Where each feature pixel lies for the current shape (as extract_feature_pixel_values).
    const dlib::matrix<float, 2, 2> tform =
        dlib::matrix_cast<float>(dlib::impl::find_tform_between_shapes(initial_shape_, shape).get_m());
    const std::size_t features = cascade.anchors.size(), trees = cascade.first_split.size();
    std::vector<long> at(features, -1);
    values.assign(features, 0.f);
    for (std::size_t i = 0; i < features; ++i) {
      const dlib::point p = to_image(tform * cascade.deltas[i] + dlib::impl::location(shape, cascade.anchors[i]));
      if (!area.contains(p)) continue;
      at[i] = p.y() * image.width + p.x();
      values[i] = grey(at[i], choice[std::size_t(at[i])]);
    }
    // Each leaf's shift along the direction, once per cascade: the search below looks
    // leaves up thousands of times.
    std::vector<double> leaf_gain(cascade.leaf_count / std::size_t(dims));
    for (std::size_t l = 0; l < leaf_gain.size(); ++l)
      for (long k = 0; k < dims; ++k)
        leaf_gain[l] += double(cascade.leaves[l * std::size_t(dims) + std::size_t(k)]) * direction[std::size_t(k)];
    auto gain = [&](const float* leaf) { return leaf_gain[std::size_t(leaf - cascade.leaves) / std::size_t(dims)]; };
    // The trees each image pixel of this cascade reaches, and the features at that pixel.
    std::map<long, std::vector<std::size_t>> features_at;
    for (std::size_t i = 0; i < features; ++i)
      if (at[i] >= 0) features_at[at[i]].push_back(i);
    std::vector<std::vector<std::size_t>> trees_of(features);
    for (std::size_t t = 0; t < trees; ++t)
      for (unsigned s = cascade.first_split[t]; s < cascade.first_split[t] + cascade.split_count[t]; ++s) {
        trees_of[cascade.left[s]].push_back(t);
        trees_of[cascade.right[s]].push_back(t);
      }
    // Per free pixel, the trees it reaches, once for both sweeps.
    std::map<long, std::vector<std::size_t>> reached_at;
    for (const auto& [pixel, on_it] : features_at) {
      if (frozen[std::size_t(pixel)]) continue;
      std::vector<std::size_t>& reached = reached_at[pixel];
      for (std::size_t i : on_it) reached.insert(reached.end(), trees_of[i].begin(), trees_of[i].end());
      std::sort(reached.begin(), reached.end());
      reached.erase(std::unique(reached.begin(), reached.end()), reached.end());
    }
    for (int sweep = 0; sweep < 2; ++sweep)
      for (const auto& [pixel, reached] : reached_at) {
        const std::vector<std::size_t>& on_it = features_at.at(pixel);
        // Unchanged first, so that a change is kept only where it gains.
        std::size_t best_version = 0;
        double best = -1e30;
        for (std::size_t v = 0; v < versions.size(); ++v) {
          for (std::size_t i : on_it) values[i] = grey(pixel, v);
          double g = 0;
          for (std::size_t t : reached) g += gain(cascade.leaf(t, values, dims));
          if (g > best + 1e-12) best = g, best_version = v;
        }
        choice[std::size_t(pixel)] = std::uint8_t(best_version);
        for (std::size_t i : on_it) values[i] = grey(pixel, best_version);
      }
    for (const auto& entry : features_at) frozen[std::size_t(entry.first)] = true;
    for (std::size_t t = 0; t < trees; ++t) {
      const float* leaf = cascade.leaf(t, values, dims);
      for (long k = 0; k < dims; ++k) shape(k) += leaf[k];
    }
  }
  if (read) *read = std::move(frozen);  // every pixel a cascade read is frozen by now
  return choice;
}

Rgb8 LandmarkPredictor::push(const Rgb8& image, const dlib::rectangle& rect, const std::vector<float>& direction,
                             int levels) const {
  Rgb8 lower = image, higher = image;
  for (std::size_t i = 0; i < image.pixels.size(); ++i) {
    lower.pixels[i] = std::uint8_t(std::max(0, int(image.pixels[i]) - levels));
    higher.pixels[i] = std::uint8_t(std::min(255, int(image.pixels[i]) + levels));
  }
  const std::vector<const Rgb8*> versions{&image, &lower, &higher};
  const std::vector<std::uint8_t> choice = push(versions, rect, direction);
  Rgb8 out = image;
  for (std::size_t at = 0; at < choice.size(); ++at)
    for (int k = 0; k < 3; ++k) out.pixels[at * 3 + k] = versions[choice[at]]->pixels[at * 3 + k];
  return out;
}

}  // namespace idef
