#include "model/model_file.h"

#include <toml++/toml.h>

#include <cstring>
#include <limits>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/sha256.h"
#include "core/version.h"

namespace idef {
namespace {

constexpr const char* kMagic = "IDMODEL1\n";
constexpr std::size_t kMaxMetadataBytes = 1 << 20;
constexpr const char* kMetadataHashKey = "metadata_sha256";

const char* type_name(const MetaValue& v) {
  static const char* names[] = {"bool", "integer", "number", "string", "string list", "number list"};
  return names[v.index()];
}

// --- tensor section codec: little-endian records of name, dtype, shape, raw bytes ------

template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

struct Reader {
  const std::string& data;
  std::size_t pos = 0;
  template <typename T>
  T get() {
    if (pos + sizeof(T) > data.size()) throw std::out_of_range("tensor section ends early");
    T v;
    std::memcpy(&v, data.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
  }
  std::string take(std::size_t n) {
    if (n > data.size() - pos) throw std::out_of_range("tensor section ends early");
    std::string s = data.substr(pos, n);
    pos += n;
    return s;
  }
};

std::string encode_tensors(const NamedTensors& tensors) {
  std::string out;
  put<std::uint32_t>(out, static_cast<std::uint32_t>(tensors.size()));
  for (const auto& [name, tensor] : tensors) {
    torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
    put<std::uint32_t>(out, static_cast<std::uint32_t>(name.size()));
    out += name;
    put<std::int32_t>(out, static_cast<std::int32_t>(t.scalar_type()));
    put<std::uint32_t>(out, static_cast<std::uint32_t>(t.dim()));
    for (auto d : t.sizes()) put<std::int64_t>(out, d);
    std::uint64_t nbytes = t.numel() * t.element_size();
    put<std::uint64_t>(out, nbytes);
    out.append(static_cast<const char*>(t.data_ptr()), nbytes);
  }
  return out;
}

NamedTensors decode_tensors(const std::string& data) {
  Reader r{data};
  NamedTensors out;
  auto count = r.get<std::uint32_t>();
  for (std::uint32_t i = 0; i < count; ++i) {
    std::string name = r.take(r.get<std::uint32_t>());
    auto type = static_cast<c10::ScalarType>(r.get<std::int32_t>());
    if (type != torch::kFloat && type != torch::kDouble && type != torch::kLong &&
        type != torch::kInt && type != torch::kHalf && type != torch::kBFloat16 &&
        type != torch::kUInt8 && type != torch::kBool)
      throw std::out_of_range("tensor '" + name + "' has an unknown element type");
    auto dim = r.get<std::uint32_t>();
    if (dim > 16) throw std::out_of_range("tensor '" + name + "' has " + std::to_string(dim) + " dimensions");
    // The shape is checked before anything is allocated: a negative or huge dimension in a
    // damaged file must be an error, not a c10::Error or an attempt at exabytes.
    std::vector<std::int64_t> shape(dim);
    std::uint64_t numel = 1;
    for (auto& d : shape) {
      d = r.get<std::int64_t>();
      if (d < 0) throw std::out_of_range("tensor '" + name + "' has a negative dimension");
      if (d > 0 && numel > std::numeric_limits<std::uint64_t>::max() / static_cast<std::uint64_t>(d))
        throw std::out_of_range("tensor '" + name + "' has an impossible shape");
      numel *= static_cast<std::uint64_t>(d);
    }
    auto nbytes = r.get<std::uint64_t>();
    const std::uint64_t element = c10::elementSize(type);
    if (numel > std::numeric_limits<std::uint64_t>::max() / element || nbytes != numel * element)
      throw std::out_of_range("tensor '" + name + "' size does not match its shape");
    if (nbytes > data.size() - r.pos) throw std::out_of_range("tensor section ends early");
    torch::Tensor t = torch::empty(shape, torch::TensorOptions().dtype(type));
    std::string raw = r.take(nbytes);
    if (nbytes > 0) std::memcpy(t.data_ptr(), raw.data(), nbytes);  // an empty tensor's data is null
    out.emplace_back(std::move(name), std::move(t));
  }
  if (r.pos != data.size()) throw std::out_of_range("trailing bytes after the last tensor");
  return out;
}

NamedTensors module_state(const torch::nn::Module& module) {
  NamedTensors state;
  for (const auto& p : module.named_parameters(true)) state.emplace_back(p.key(), p.value());
  for (const auto& b : module.named_buffers(true)) state.emplace_back(b.key(), b.value());
  return state;
}

// --- metadata <-> TOML --------------------------------------------------------------------

void insert_dotted(toml::table& root, const std::string& key, const MetaValue& value) {
  toml::table* t = &root;
  std::size_t start = 0, dot;
  while ((dot = key.find('.', start)) != std::string::npos) {
    std::string part = key.substr(start, dot - start);
    auto* child = t->get_as<toml::table>(part);
    if (!child) {
      t->insert_or_assign(part, toml::table{});
      child = t->get_as<toml::table>(part);
    }
    t = child;
    start = dot + 1;
  }
  std::string leaf = key.substr(start);
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::vector<std::string>> || std::is_same_v<V, std::vector<double>>) {
          toml::array a;
          for (const auto& e : v) a.push_back(e);
          t->insert_or_assign(leaf, std::move(a));
        } else {
          t->insert_or_assign(leaf, v);
        }
      },
      value);
}

void flatten(const toml::table& t, const std::string& prefix, Metadata& meta) {
  for (const auto& [k, node] : t) {
    std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (auto* sub = node.as_table()) {
      flatten(*sub, key, meta);
    } else if (auto* s = node.as_string()) {
      meta.set(key, s->get());
    } else if (auto* i = node.as_integer()) {
      meta.set(key, i->get());
    } else if (auto* f = node.as_floating_point()) {
      meta.set(key, f->get());
    } else if (auto* b = node.as_boolean()) {
      meta.set(key, b->get());
    } else if (auto* a = node.as_array()) {
      if (a->empty() || a->front().is_string()) {
        std::vector<std::string> v;
        for (const auto& e : *a)
          if (auto* s = e.as_string()) v.push_back(s->get());
        meta.set(key, v);
      } else if (a->front().is_array_of_tables() || a->front().is_table()) {
        // section list: read separately
      } else {
        std::vector<double> v;
        for (const auto& e : *a) v.push_back(e.value<double>().value_or(0.0));
        meta.set(key, v);
      }
    }
  }
}

}  // namespace

// --- Metadata ------------------------------------------------------------------------------

const MetaValue& Metadata::at(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) throw Error("model metadata has no '" + key + "'");
  return it->second;
}

template <typename T>
static const T& expect_type(const MetaValue& v, const std::string& key, const char* wanted) {
  if (auto* p = std::get_if<T>(&v)) return *p;
  throw Error("model metadata '" + key + "' is a " + type_name(v) + ", expected a " + wanted);
}

std::string Metadata::get_string(const std::string& key) const {
  return expect_type<std::string>(at(key), key, "string");
}
std::int64_t Metadata::get_int(const std::string& key) const {
  return expect_type<std::int64_t>(at(key), key, "integer");
}
double Metadata::get_double(const std::string& key) const {
  const MetaValue& v = at(key);
  if (auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  return expect_type<double>(v, key, "number");
}
bool Metadata::get_bool(const std::string& key) const { return expect_type<bool>(at(key), key, "bool"); }
std::vector<std::string> Metadata::get_strings(const std::string& key) const {
  return expect_type<std::vector<std::string>>(at(key), key, "string list");
}
std::vector<double> Metadata::get_doubles(const std::string& key) const {
  return expect_type<std::vector<double>>(at(key), key, "number list");
}

// --- ModelFile -----------------------------------------------------------------------------

void ModelFile::set_bytes(const std::string& section, std::string bytes) {
  if (section.empty() || section.find_first_of("\"\n") != std::string::npos)
    throw Error("invalid model section name '" + section + "'");
  sections_[section] = std::move(bytes);
}

void ModelFile::set_tensors(const std::string& section, const NamedTensors& tensors) {
  set_bytes(section, encode_tensors(tensors));
}

void ModelFile::set_module(const std::string& section, const torch::nn::Module& module) {
  set_tensors(section, module_state(module));
}

void ModelFile::set_optimizer(const std::string& section, torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  std::ostringstream out;
  archive.save_to(out);
  set_bytes(section, out.str());
}

std::vector<std::string> ModelFile::section_names() const {
  std::vector<std::string> names;
  for (const auto& [name, _] : sections_) names.push_back(name);
  return names;
}

const std::string& ModelFile::bytes(const std::string& section) const {
  auto it = sections_.find(section);
  if (it == sections_.end()) throw InputError(source_, "model file has no section '" + section + "'");
  return it->second;
}

NamedTensors ModelFile::tensors(const std::string& section) const {
  try {
    return decode_tensors(bytes(section));
  } catch (const std::out_of_range& e) {
    throw InputError(source_, "section '" + section + "': " + e.what());
  }
}

void ModelFile::load_module(const std::string& section, torch::nn::Module& module) const {
  NamedTensors stored = tensors(section);
  std::map<std::string, torch::Tensor> by_name(stored.begin(), stored.end());
  NamedTensors target = module_state(module);
  for (const auto& [name, tensor] : target) {
    auto it = by_name.find(name);
    if (it == by_name.end())
      throw InputError(source_, "section '" + section + "' lacks tensor '" + name +
                                    "' (a different architecture?)");
    if (it->second.sizes() != tensor.sizes()) {
      std::ostringstream msg;
      msg << "tensor '" << name << "' has shape " << it->second.sizes() << ", the network expects "
          << tensor.sizes() << " (different widths?)";
      throw InputError(source_, msg.str());
    }
  }
  if (by_name.size() != target.size())
    throw InputError(source_, "section '" + section + "' holds " + std::to_string(by_name.size()) +
                                  " tensors, the network has " + std::to_string(target.size()) +
                                  " (a different architecture?)");
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : target) tensor.copy_(by_name.at(name));
}

void ModelFile::load_optimizer(const std::string& section, torch::optim::Optimizer& optimizer) const {
  torch::serialize::InputArchive archive;
  std::istringstream in(bytes(section));
  try {
    archive.load_from(in);
    optimizer.load(archive);
  } catch (const c10::Error& e) {
    throw InputError(source_, "optimizer state '" + section + "' does not fit: " + e.what_without_backtrace());
  }
}

void ModelFile::require(const std::string& key, const std::string& expected) const {
  std::string actual = meta.has(key) ? meta.get_string(key) : "(none)";
  if (actual != expected)
    throw InputError(source_, "model " + key + " is '" + actual + "', this needs '" + expected + "'");
}

void ModelFile::save(const std::string& path) const {
  toml::table root;
  for (const auto& [key, value] : meta.values()) insert_dotted(root, key, value);
  root.insert_or_assign("format_version", kFormatVersion);
  root.insert_or_assign("toolkit_version", toolkit_version());
  toml::array sections;
  std::string payload;
  for (const auto& [name, data] : sections_) {
    sections.push_back(toml::table{{"name", name},
                                   {"offset", static_cast<std::int64_t>(payload.size())},
                                   {"size", static_cast<std::int64_t>(data.size())},
                                   {"sha256", sha256_hex(data)}});
    payload += data;
  }
  root.insert_or_assign("section", std::move(sections));
  std::ostringstream text;
  text << root << "\n";
  // The first line hashes the rest of the metadata, whose section table holds every
  // section's hash: no value or weight can change unnoticed.
  std::string meta_text = text.str();
  meta_text = std::string(kMetadataHashKey) + " = \"" + sha256_hex(meta_text) + "\"\n" + meta_text;
  write_all(path, kMagic + std::to_string(meta_text.size()) + "\n" + meta_text + payload);
}

ModelFile ModelFile::load(const std::string& path) { return parse(read_all(path), path); }

ModelFile ModelFile::parse(const std::string& data, const std::string& path) {
  auto fail = [&](const std::string& why) { return InputError(path, why); };
  if (data.empty()) throw fail("empty file, not a model");
  if (data.compare(0, std::strlen(kMagic), kMagic) != 0) throw fail("not an initiative-defense model file");
  std::size_t pos = std::strlen(kMagic);
  std::size_t eol = data.find('\n', pos);
  if (eol == std::string::npos || eol - pos > 12) throw fail("damaged header");
  std::size_t meta_size = 0;
  try {
    meta_size = std::stoull(data.substr(pos, eol - pos));
  } catch (const std::exception&) {
    throw fail("damaged header");
  }
  if (meta_size > kMaxMetadataBytes) throw fail("damaged header (metadata size " + std::to_string(meta_size) + ")");
  std::size_t meta_start = eol + 1;
  if (meta_start + meta_size > data.size()) throw fail("truncated inside the metadata");
  toml::table root;
  try {
    root = toml::parse(std::string_view(data).substr(meta_start, meta_size));
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << "damaged metadata: " << e.description() << " at line " << e.source().begin.line;
    throw fail(msg.str());
  }
  ModelFile file;
  file.source_ = path;
  auto version = root["format_version"].value<std::int64_t>();
  if (!version) throw fail("metadata lacks format_version");
  if (*version > kFormatVersion)
    throw fail("model format " + std::to_string(*version) + " is newer than this toolkit reads (" +
               std::to_string(kFormatVersion) + "); it was written by toolkit " +
               root["toolkit_version"].value_or(std::string("?")));
  // Format 2 on: the metadata's first line is the hash of the rest of it.
  const std::string hash_prefix = std::string(kMetadataHashKey) + " = \"";
  const bool hashed = data.compare(meta_start, hash_prefix.size(), hash_prefix) == 0;
  if (hashed) {
    const std::size_t line_end = data.find('\n', meta_start);
    const std::size_t digest_at = meta_start + hash_prefix.size();
    if (line_end == std::string::npos || line_end != digest_at + 65 || data[digest_at + 64] != '"' ||
        line_end >= meta_start + meta_size)
      throw fail("damaged metadata hash line");
    if (sha256_hex(data.substr(line_end + 1, meta_start + meta_size - line_end - 1)) != data.substr(digest_at, 64))
      throw fail("metadata checksum mismatch: a value in the model's header was changed after it was written");
  }
  // Format 1 had no hash over its metadata: reading it would let anyone edit epsilon or the
  // architecture, or turn a format-2 file back into format 1 to escape the check.
  if (*version < 2)
    throw fail("model format " + std::to_string(*version) +
               " has no checksum over its metadata and is no longer read; retrain the model with this toolkit");
  if (!hashed) throw fail("metadata lacks its checksum (" + std::string(kMetadataHashKey) + ")");
  std::size_t payload_start = meta_start + meta_size;
  std::size_t payload_size = data.size() - payload_start;
  std::size_t expected_end = 0;
  if (auto* sections = root["section"].as_array()) {
    for (const auto& node : *sections) {
      const auto* s = node.as_table();
      auto name = s ? (*s)["name"].value<std::string>() : std::nullopt;
      auto offset = s ? (*s)["offset"].value<std::int64_t>() : std::nullopt;
      auto size = s ? (*s)["size"].value<std::int64_t>() : std::nullopt;
      auto digest = s ? (*s)["sha256"].value<std::string>() : std::nullopt;
      if (!name || !offset || !size || !digest || *offset < 0 || *size < 0) throw fail("damaged section table");
      std::size_t end = static_cast<std::size_t>(*offset) + static_cast<std::size_t>(*size);
      expected_end = std::max(expected_end, end);
      if (end > payload_size)
        throw fail("truncated: section '" + *name + "' needs " + std::to_string(end) + " bytes, the file holds " +
                   std::to_string(payload_size));
      std::string bytes = data.substr(payload_start + *offset, *size);
      if (sha256_hex(bytes) != *digest)
        throw fail("checksum mismatch in section '" + *name + "': the file is corrupted or was altered");
      file.sections_[*name] = std::move(bytes);
    }
  }
  if (expected_end != payload_size)
    throw fail(std::to_string(payload_size - expected_end) + " unexpected bytes after the last section");
  root.erase("section");
  root.erase(kMetadataHashKey);
  flatten(root, "", file.meta);
  return file;
}

}  // namespace idef
