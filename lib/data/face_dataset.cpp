#include "data/face_dataset.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/folder_walk.h"
#include "data/attributes.h"
#include "io/frame.h"
#include "io/image.h"
#include "io/tensor_image.h"
#include "io/video_file.h"
#include "io/y4m.h"

namespace fs = std::filesystem;

namespace idef {

Rgb8 prepare_face(const Rgb8& image, int crop, int size) {
  int side = std::min(image.width, image.height);
  if (crop > 0) side = std::min(side, crop);
  Rgb8 square = crop_rgb8(image, (image.width - side) / 2, (image.height - side) / 2, side, side);
  return resize_rgb8(square, size, size);
}

static int split_code(const std::string& split) {
  if (split == "train") return 0;
  if (split == "val") return 1;
  if (split == "test") return 2;
  if (split == "all") return -1;
  throw UsageError("unknown split '" + split + "' (train, val, test, all)");
}

void FaceDataset::add_images(const std::vector<Rgb8>& prepared) {
  const int s = image_size_;
  images_ = torch::empty({static_cast<std::int64_t>(prepared.size()), 3, s, s}, torch::kUInt8);
  for (std::size_t i = 0; i < prepared.size(); ++i) {
    torch::Tensor hwc = torch::from_blob(const_cast<std::uint8_t*>(prepared[i].data()), {s, s, 3}, torch::kUInt8);
    images_[static_cast<std::int64_t>(i)].copy_(hwc.permute({2, 0, 1}));
  }
}

FaceDataset FaceDataset::celeba(const std::string& root, const DatasetOptions& options, const WarningSink& warn) {
  int wanted_split = split_code(options.split);
  std::string attr_path = (fs::path(root) / "list_attr_celeba.txt").string();
  std::string part_path = (fs::path(root) / "list_eval_partition.txt").string();
  if (!fs::is_directory(fs::path(root) / "img_align_celeba"))
    throw InputError(root, "not a CelebA-layout folder (no img_align_celeba/)");
  AttributeList list = read_attribute_list(attr_path);
  std::vector<int> columns;
  for (const auto& a : options.attributes) {
    int index = list.index_of(a);
    if (index < 0) throw InputError(attr_path, "has no attribute '" + a + "'");
    columns.push_back(index);
  }
  std::map<std::string, int> partition;
  if (fs::exists(part_path)) partition = read_partition(part_path);

  FaceDataset data;
  data.attributes_ = options.attributes;
  data.image_size_ = options.image_size;
  std::vector<Rgb8> prepared;
  std::vector<float> labels;
  std::int64_t item = -1;  // position in the split, before --limit and sharding
  for (std::size_t row = 0; row < list.files.size(); ++row) {
    const std::string& file = list.files[row];
    if (wanted_split >= 0 && !partition.empty()) {
      auto it = partition.find(file);
      if (it == partition.end() || it->second != wanted_split) continue;
    }
    ++item;
    if (options.limit >= 0 && item >= options.limit) break;
    if (item % options.shard_count != options.shard_index) continue;
    std::string path = (fs::path(root) / "img_align_celeba" / file).string();
    try {
      prepared.push_back(prepare_face(Image::load(path).rgb(), options.crop, options.image_size));
    } catch (const InputError& e) {
      if (warn) warn(std::string(e.what()) + " (skipped)");
      continue;
    }
    data.names_.push_back(file);
    for (int c : columns) labels.push_back(list.values[row][c] > 0 ? 1.f : 0.f);
  }
  if (prepared.empty())
    throw InputError(root, "no readable images in split '" + options.split + "'");
  data.add_images(prepared);
  data.labels_ = torch::tensor(labels).reshape({data.size(), static_cast<std::int64_t>(columns.size())});
  return data;
}

FaceDataset FaceDataset::folder(const std::string& dir, const DatasetOptions& options, const WarningSink& warn) {
  if (!fs::is_directory(dir)) throw InputError(dir, "not a folder");
  std::vector<fs::path> paths;
  for (const auto& name : walk_folder(dir)) paths.push_back(fs::path(dir) / name);
  FaceDataset data;
  data.image_size_ = options.image_size;
  std::vector<Rgb8> prepared;
  std::int64_t item = -1;
  for (const auto& p : paths) {
    ++item;
    if (options.limit >= 0 && item >= options.limit) break;
    if (item % options.shard_count != options.shard_index) continue;
    try {
      prepared.push_back(prepare_face(Image::load(p.string()).rgb(), options.crop, options.image_size));
    } catch (const InputError& e) {
      if (warn) warn(std::string(e.what()) + " (skipped)");
      continue;
    }
    data.names_.push_back(fs::relative(p, dir).string());
  }
  if (prepared.empty()) throw InputError(dir, "no readable images");
  data.add_images(prepared);
  data.labels_ = torch::zeros({data.size(), 0});
  return data;
}

FaceDataset FaceDataset::video(const std::string& path, const DatasetOptions& options) {
  FaceDataset data;
  data.image_size_ = options.image_size;
  std::vector<Rgb8> prepared;
  auto take = [&](const Rgb8& rgb) {
    data.names_.push_back("frame" + std::to_string(prepared.size()));
    prepared.push_back(prepare_face(rgb, options.crop, options.image_size));
  };
  bool y4m = fs::path(path).extension() == ".y4m" || path == "-";
  if (y4m) {
    Y4mReader reader(path);
    VideoFrame frame;
    ColourSpec colour = reader.header().colour_spec();
    while ((options.limit < 0 || static_cast<std::int64_t>(prepared.size()) < options.limit) && reader.read(frame))
      take(to_rgb24(frame, colour));
  } else {
    VideoReader reader(path);
    Rgb8 rgb;
    while ((options.limit < 0 || static_cast<std::int64_t>(prepared.size()) < options.limit) && reader.read_rgb(rgb))
      take(rgb);
  }
  if (prepared.empty()) throw InputError(path, "no frames");
  data.add_images(prepared);
  data.labels_ = torch::zeros({data.size(), 0});
  return data;
}

std::pair<torch::Tensor, torch::Tensor> FaceDataset::batch(const std::vector<std::int64_t>& indices,
                                                           std::mt19937_64* flip_rng) const {
  torch::Tensor index = torch::tensor(indices, torch::kLong);
  torch::Tensor x = images_.index_select(0, index).to(torch::kFloat).div(127.5).sub(1.0);
  if (flip_rng) {
    std::vector<std::int64_t> flipped;
    for (std::size_t i = 0; i < indices.size(); ++i)
      if ((*flip_rng)() & 1) flipped.push_back(static_cast<std::int64_t>(i));
    if (!flipped.empty()) {
      torch::Tensor which = torch::tensor(flipped, torch::kLong);
      x.index_copy_(0, which, x.index_select(0, which).flip({3}));
    }
  }
  return {x, labels_.index_select(0, index)};
}

std::vector<torch::Tensor> target_domain_labels(const torch::Tensor& labels,
                                                const std::vector<std::string>& attributes) {
  torch::Tensor cpu = labels.to(torch::kCPU, torch::kFloat).contiguous();
  const std::int64_t n = cpu.size(0), c_dim = cpu.size(1);
  std::vector<std::vector<float>> rows;
  for (std::int64_t i = 0; i < n; ++i) rows.emplace_back(cpu[i].data_ptr<float>(), cpu[i].data_ptr<float>() + c_dim);
  std::vector<torch::Tensor> domains;
  for (const auto& domain : target_domains(rows, attributes)) {
    std::vector<float> flat;
    for (const auto& r : domain) flat.insert(flat.end(), r.begin(), r.end());
    domains.push_back(torch::tensor(flat).reshape({n, c_dim}).to(labels.device()));
  }
  return domains;
}

}  // namespace idef
