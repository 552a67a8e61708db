// Writes synthetic faces in CelebA's on-disk layout, so every CelebA reader in the toolkit
// (and StarGAN-style code elsewhere) can take them as they are:
//
//   OUT/img_align_celeba/000001.png ...            lossless PNG
//   OUT/list_attr_celeba.txt                       CelebA's format, 40 attributes, ±1
//   OUT/list_eval_partition.txt                    "name 0|1|2" (train, validation, test)
//   OUT/list_landmarks_68.txt                      name + 68 (x, y) pairs, dlib order
//   OUT/counterfactuals/<Attribute>/000001.png     the same face, one attribute changed
//
// File k (1-based) holds face index start_index + k - 1, so a data set can be grown or
// generated in shards with identical results. Every file is written atomically.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/synth_face.h"

namespace idef::synth {

struct SplitFractions {
  double train = 0.8, validation = 0.1, test = 0.1;
};

// Parses "0.8,0.1,0.1" (or two numbers, the test share being the rest); throws UsageError.
SplitFractions parse_split(const std::string& text);

// The partition (0 train, 1 validation, 2 test) of a face: a hash of (seed, index)
// compared with the fractions, so it does not depend on how many faces are written.
int partition_of(std::uint64_t seed, std::int64_t index, const SplitFractions& split);

struct CelebaWriteOptions {
  std::uint64_t seed = 1;
  std::int64_t count = 100;
  std::int64_t start_index = 0;
  int size = 128;
  SplitFractions split;
  bool counterfactuals = false;
  bool lossy_edits = false;  // sample_face's lossy_edits
  std::vector<std::string> counterfactual_attributes;  // empty: every editable attribute
  // Called after each face with the number done (for a progress bar).
  std::function<void(std::int64_t)> on_face;
};

// "000001.png" for file number 1.
std::string celeba_file_name(std::int64_t number);

// Writes the layout into `out_dir` (created if needed). Throws OutputError / UsageError.
void write_celeba(const std::string& out_dir, const CelebaWriteOptions& options);

// The text of list_attr_celeba.txt for (name, face) pairs.
std::string celeba_attribute_list(const std::vector<std::string>& names, const std::vector<FaceParams>& faces);

}  // namespace idef::synth
