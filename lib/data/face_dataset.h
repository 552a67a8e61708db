// Face datasets held in memory as uint8 tensors: the CelebA layout (with attribute
// labels), a plain folder of images, or the frames of a video. Images are centre-cropped
// and resized once at load, as StarGAN prepares CelebA (crop 178, then resize).
#pragma once
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "io/rgb8.h"

namespace idef {

struct DatasetOptions {
  std::vector<std::string> attributes;  // selected CelebA attributes → labels (CelebA layout only)
  std::string split = "train";          // train, val, test or all
  int image_size = 64;
  int crop = 0;                         // centre square cut before resizing; 0: the shorter side
  std::int64_t limit = -1;              // at most this many items (the first ones), -1: all
  // Of those items, only every shard_count-th from the shard_index-th (a rank's own share in
  // data-parallel training: the shards of 0..count-1 hold every item once). Images of
  // other shards are not read.
  int shard_index = 0, shard_count = 1;
};

// Called with a message for each input that was skipped (unreadable image, ...).
using WarningSink = std::function<void(const std::string&)>;

class FaceDataset {
 public:
  // root/img_align_celeba/, root/list_attr_celeba.txt, optional root/list_eval_partition.txt
  // (without it every image is in every split). Unreadable images are reported and skipped.
  static FaceDataset celeba(const std::string& root, const DatasetOptions& options, const WarningSink& warn);
  // Every image under `dir` (recursive, sorted by path), without labels.
  static FaceDataset folder(const std::string& dir, const DatasetOptions& options, const WarningSink& warn);
  // Every frame of a video file (or y4m stream), without labels.
  static FaceDataset video(const std::string& path, const DatasetOptions& options);

  std::int64_t size() const { return static_cast<std::int64_t>(names_.size()); }
  int c_dim() const { return static_cast<int>(attributes_.size()); }
  int image_size() const { return image_size_; }
  const std::vector<std::string>& names() const { return names_; }  // relative to the root
  const std::vector<std::string>& attributes() const { return attributes_; }
  const torch::Tensor& images() const { return images_; }  // uint8 [N,3,S,S]
  const torch::Tensor& labels() const { return labels_; }  // float 0/1 [N,c_dim]

  // Images as floats in [-1,1] and their labels; with `flip_rng`, each image is mirrored
  // left-right with probability 1/2 (the augmentation StarGAN and pix2pix use).
  std::pair<torch::Tensor, torch::Tensor> batch(const std::vector<std::int64_t>& indices,
                                                std::mt19937_64* flip_rng = nullptr) const;

 private:
  std::vector<std::string> names_, attributes_;
  torch::Tensor images_, labels_;
  int image_size_ = 0;
  void add_images(const std::vector<Rgb8>& prepared);
};

// StarGAN's target domains (data/attributes.h, target_domains) of a batch's 0/1 labels
// [N, c_dim]: one [N, c_dim] tensor per attribute.
std::vector<torch::Tensor> target_domain_labels(const torch::Tensor& labels,
                                                const std::vector<std::string>& attributes);

// Centre square of side `crop` (0: the shorter side), resized to size × size.
Rgb8 prepare_face(const Rgb8& image, int crop, int size);

}  // namespace idef
