// Model files: TOML metadata (task, architecture, widths, image size, ε, τ, domains,
// toolkit version) followed by binary sections (weights, optimizer states), each with its
// SHA-256 in the metadata. One format serves shipped models and training checkpoints.
//
// Layout:  "IDMODEL1\n" <TOML byte count>"\n" <TOML text> <section bytes...>
// The TOML text starts with metadata_sha256 = "<SHA-256 of the rest of the TOML text>".
#pragma once
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <torch/torch.h>

namespace idef {

// Metadata keys are dotted paths ("network.arch"); values are scalars or lists.
using MetaValue = std::variant<bool, std::int64_t, double, std::string, std::vector<std::string>,
                               std::vector<double>>;

class Metadata {
 public:
  void set(const std::string& key, MetaValue value) { values_[key] = std::move(value); }
  bool has(const std::string& key) const { return values_.count(key) != 0; }
  // Typed getters throw idef::Error naming the key when it is missing or of another type;
  // ints read as doubles where a double is asked for.
  std::string get_string(const std::string& key) const;
  std::int64_t get_int(const std::string& key) const;
  double get_double(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  std::vector<std::string> get_strings(const std::string& key) const;
  std::vector<double> get_doubles(const std::string& key) const;
  const std::map<std::string, MetaValue>& values() const { return values_; }

 private:
  const MetaValue& at(const std::string& key) const;
  std::map<std::string, MetaValue> values_;
};

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

class ModelFile {
 public:
  // 2: the metadata's first line, metadata_sha256, hashes the rest of it. Format 1 files,
  // whose metadata is not covered, are refused.
  static constexpr int kFormatVersion = 2;

  Metadata meta;

  // Sections. Writers replace a section of the same name.
  void set_bytes(const std::string& section, std::string bytes);
  void set_tensors(const std::string& section, const NamedTensors& tensors);
  void set_module(const std::string& section, const torch::nn::Module& module);
  void set_optimizer(const std::string& section, torch::optim::Optimizer& optimizer);

  bool has_section(const std::string& section) const { return sections_.count(section) != 0; }
  std::vector<std::string> section_names() const;
  const std::string& bytes(const std::string& section) const;
  NamedTensors tensors(const std::string& section) const;
  // Copies a section's tensors into the module's parameters and buffers; every name and
  // shape must match exactly, otherwise an InputError names the first difference.
  void load_module(const std::string& section, torch::nn::Module& module) const;
  void load_optimizer(const std::string& section, torch::optim::Optimizer& optimizer) const;

  // Refuses a file made for another purpose: `key` must hold `expected`.
  void require(const std::string& key, const std::string& expected) const;

  // Writes atomically (temporary name + rename), so a crash never leaves half a model.
  void save(const std::string& path) const;
  // Reads and verifies a file: magic, metadata, format version, every section's size and
  // checksum. Anything wrong is an InputError naming the file and the reason.
  static ModelFile load(const std::string& path);
  // The same from a file's bytes; errors name `path`.
  static ModelFile parse(const std::string& data, const std::string& path);
  const std::string& source() const { return source_; }

 private:
  std::map<std::string, std::string> sections_;
  std::string source_ = "<memory>";
};

}  // namespace idef
