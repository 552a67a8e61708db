#include "data/celeba_layout.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "io/image.h"

namespace fs = std::filesystem;

namespace idef::synth {

SplitFractions parse_split(const std::string& text) {
  std::vector<double> parts;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      std::size_t used = 0;
      double v = std::stod(item, &used);
      if (used != item.size()) throw std::invalid_argument(item);
      parts.push_back(v);
    } catch (const std::exception&) {
      throw UsageError("--split '" + text + "': '" + item + "' is not a number");
    }
  }
  if (parts.size() == 2) parts.push_back(1.0 - parts[0] - parts[1]);
  if (parts.size() != 3)
    throw UsageError("--split '" + text + "': give train,validation,test fractions such as 0.8,0.1,0.1");
  double sum = parts[0] + parts[1] + parts[2];
  for (double v : parts)
    if (!(v >= 0) || !std::isfinite(v)) throw UsageError("--split '" + text + "': fractions must be 0 or more");
  if (std::fabs(sum - 1.0) > 1e-6) throw UsageError("--split '" + text + "': fractions must add up to 1");
  return {parts[0], parts[1], parts[2]};
}

int partition_of(std::uint64_t seed, std::int64_t index, const SplitFractions& split) {
  // A hash independent of the face's own random numbers.
  std::uint64_t z = seed * 0x9E3779B97F4A7C15ull ^ (std::uint64_t(index) + 0x51D17ull) * 0xC2B2AE3D27D4EB4Full;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  double u = double(z >> 11) * 0x1.0p-53;
  if (u < split.train) return 0;
  if (u < split.train + split.validation) return 1;
  return 2;
}

std::string celeba_file_name(std::int64_t number) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%06lld.png", static_cast<long long>(number));
  return buf;
}

std::string celeba_attribute_list(const std::vector<std::string>& names, const std::vector<FaceParams>& faces) {
  std::string out = std::to_string(names.size()) + "\n";
  for (int i = 0; i < kCelebAAttributeCount; ++i) {
    if (i) out += ' ';
    out += kCelebAAttributes[std::size_t(i)];
  }
  out += '\n';
  for (std::size_t k = 0; k < names.size(); ++k) {
    out += names[k];
    for (int v : attribute_vector(faces[k])) out += v > 0 ? "  1" : " -1";
    out += '\n';
  }
  return out;
}

namespace {

void make_dirs(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw OutputError(dir, ec.message());
  if (!fs::is_directory(dir)) throw OutputError(dir, "not a directory");
}

}  // namespace

void write_celeba(const std::string& out_dir, const CelebaWriteOptions& o) {
  if (o.count < 0) throw UsageError("the number of faces must be 0 or more");
  if (o.start_index < 0) throw UsageError("the start index must be 0 or more");
  if (o.size < 8 || o.size > 4096) throw UsageError("image size " + std::to_string(o.size) + " is out of range");
  std::vector<std::string> edits = o.counterfactual_attributes;
  if (o.counterfactuals && edits.empty()) edits = editable_attributes();
  if (!o.counterfactuals) edits.clear();
  for (const auto& a : edits)
    if (!is_editable(a)) throw UsageError("'" + a + "' is not an attribute the synthetic faces can change");

  const std::string images = (fs::path(out_dir) / "img_align_celeba").string();
  make_dirs(images);
  for (const auto& a : edits) make_dirs((fs::path(out_dir) / "counterfactuals" / a).string());

  ImageSaveOptions png;
  png.format = "png";
  std::vector<std::string> names;
  std::vector<FaceParams> faces;
  names.reserve(std::size_t(o.count));
  faces.reserve(std::size_t(o.count));
  std::string partitions, marks;
  marks = std::to_string(o.count) + "\n";
  for (int i = 0; i < kLandmarkCount; ++i) marks += (i ? " x" : "x") + std::to_string(i) + " y" + std::to_string(i);
  marks += '\n';
  for (std::int64_t k = 0; k < o.count; ++k) {
    std::int64_t index = o.start_index + k;
    std::string name = celeba_file_name(index + 1);
    FaceParams face = sample_face(o.seed, index, o.lossy_edits);
    write_all((fs::path(images) / name).string(), encode_rgb8(render(face, o.size), png));
    for (const auto& a : edits)
      write_all((fs::path(out_dir) / "counterfactuals" / a / name).string(),
                encode_rgb8(render(with_attribute(face, a), o.size), png));
    partitions += name + " " + std::to_string(partition_of(o.seed, index, o.split)) + "\n";
    marks += name;
    char buf[48];
    for (const Point2& p : landmarks(face, o.size)) {
      std::snprintf(buf, sizeof buf, " %.2f %.2f", p.x, p.y);
      marks += buf;
    }
    marks += '\n';
    names.push_back(std::move(name));
    faces.push_back(face);
    if (o.on_face) o.on_face(k + 1);
  }
  // The lists last: a reader that finds them finds every image they name.
  write_all((fs::path(out_dir) / "list_attr_celeba.txt").string(), celeba_attribute_list(names, faces));
  write_all((fs::path(out_dir) / "list_eval_partition.txt").string(), partitions);
  write_all((fs::path(out_dir) / "list_landmarks_68.txt").string(), marks);
}

}  // namespace idef::synth
