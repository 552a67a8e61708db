#include "model/pytorch_import.h"

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/sha256.h"
#include "model/editor_model.h"
#include "model/pytorch_checkpoint.h"
#include "model/translator_model.h"

namespace idef {

namespace {

std::string shape_of(const torch::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

// The tensors of a state dict by name, with the checks every importer shares.
class Source {
 public:
  Source(const NamedTensors& state, std::string source, std::string what)
      : source_(std::move(source)), what_(std::move(what)) {
    for (const auto& [name, t] : state) tensors_.emplace(name, t);
  }
  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  const torch::Tensor& at(const std::string& name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) fail("misses the key '" + name + "' that " + what_ + " has");
    return it->second;
  }
  // A weight of `dims` dimensions, e.g. a conv's 4.
  const torch::Tensor& weight(const std::string& name, int64_t dims) const {
    const torch::Tensor& t = at(name);
    if (t.dim() != dims)
      fail("key '" + name + "' is " + shape_of(t) + ", not the " + std::to_string(dims) + "-dimensional weight " +
           what_ + " has there");
    return t;
  }
  [[noreturn]] void fail(const std::string& why) const { throw InputError(source_, why); }
  const std::map<std::string, torch::Tensor>& tensors() const { return tensors_; }
  const std::string& what() const { return what_; }

 private:
  std::map<std::string, torch::Tensor> tensors_;
  std::string source_, what_;
};

// Source name → toolkit name, and what the toolkit's layers fill in themselves.
class Mapping {
 public:
  explicit Mapping(const Source& src) : src_(src) {}
  void copy(const std::string& from, const std::string& to) {
    copies_.emplace_back(from, to);
    used_.insert(from);
  }
  void drop(const std::string& from) { used_.insert(from); }
  void fill(const std::string& to, double value) { fills_.emplace_back(to, value); }

  // A conv (or transposed conv) at `from` onto `to`. `to_bias`: whether the toolkit's layer
  // has a bias. A source bias before a norm is dropped; a missing one is filled with 0.
  void conv(const std::string& from, const std::string& to, bool to_bias) {
    copy(from + "weight", to + "weight");
    if (to_bias) {
      if (src_.has(from + "bias"))
        copy(from + "bias", to + "bias");
      else
        fill(to + "bias", 0.0);
    } else if (src_.has(from + "bias")) {
      drop(from + "bias");
    }
  }
  // A norm at `from` onto an affine instance norm at `to`: its scale and shift, or 1 and 0
  // for a norm without them; running statistics are not used.
  void norm(const std::string& from, const std::string& to) {
    if (src_.has(from + "weight") || src_.has(from + "bias")) {
      copy(from + "weight", to + "weight");
      copy(from + "bias", to + "bias");
    } else {
      fill(to + "weight", 1.0);
      fill(to + "bias", 0.0);
    }
    for (const char* stat : {"running_mean", "running_var", "num_batches_tracked"})
      if (src_.has(from + stat)) drop(from + stat);
  }

  // Loads the mapping into `net`: every parameter and buffer of the net set exactly once,
  // every source tensor used, shapes equal, values finite.
  void apply(torch::nn::Module& net) const {
    std::map<std::string, torch::Tensor> ours;
    for (const auto& p : net.named_parameters()) ours.emplace(p.key(), p.value());
    for (const auto& b : net.named_buffers()) ours.emplace(b.key(), b.value());
    std::set<std::string> set;
    torch::NoGradGuard no_grad;
    for (const auto& [from, to] : copies_) {
      auto it = ours.find(to);
      if (it == ours.end()) throw Error("import: no tensor '" + to + "' in the toolkit's network");
      const torch::Tensor& t = src_.at(from);
      if (!t.is_floating_point()) src_.fail("key '" + from + "' does not hold floating-point values");
      if (t.sizes() != it->second.sizes())
        src_.fail("key '" + from + "' is " + shape_of(t) + ", where " + src_.what() + " has " +
                  shape_of(it->second));
      if (!torch::isfinite(t).all().item<bool>()) src_.fail("key '" + from + "' holds NaN or infinite values");
      it->second.copy_(t.to(it->second.dtype()));
      set.insert(to);
    }
    for (const auto& [name, t] : src_.tensors())
      if (!used_.count(name)) src_.fail("has the key '" + name + "' that " + src_.what() + " does not have");
    for (const auto& [to, value] : fills_) {
      auto it = ours.find(to);
      if (it == ours.end()) throw Error("import: no tensor '" + to + "' in the toolkit's network");
      it->second.fill_(value);
      set.insert(to);
    }
    for (const auto& [name, t] : ours)
      if (!set.count(name)) throw Error("import: the toolkit's tensor '" + name + "' was not set");
  }

 private:
  const Source& src_;
  std::vector<std::pair<std::string, std::string>> copies_;
  std::vector<std::pair<std::string, double>> fills_;
  std::set<std::string> used_;
};

// Indices N of keys "PREFIX N SUFFIX" (e.g. the layers of "main.N.main.0.weight").
std::set<int> indices(const Source& src, const std::string& prefix, const std::string& suffix) {
  std::set<int> out;
  for (const auto& [name, t] : src.tensors()) {
    if (name.rfind(prefix, 0) != 0) continue;
    const std::size_t dot = name.find('.', prefix.size());
    if (dot == std::string::npos || name.compare(dot, std::string::npos, suffix) != 0) continue;
    const std::string digits = name.substr(prefix.size(), dot - prefix.size());
    if (!digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos && digits.size() < 6)
      out.insert(std::stoi(digits));
  }
  return out;
}

int checked_int(const Source& src, int64_t v, const std::string& what) {
  if (v < 1 || v > 4096) src.fail(what + " " + std::to_string(v) + " is out of range");
  return static_cast<int>(v);
}

// The stem (conv at PREFIX`stem`, norm next), the two downs (three layers apart) and the two
// ups (from PREFIX`up`) of a ResNetBody: StarGAN's generator and pix2pix's ResnetGenerator
// lay them out alike, at other indices.
void map_resnet_ends(Mapping& m, const std::string& prefix, int stem, int up) {
  auto layer = [&](int index) { return prefix + std::to_string(index) + "."; };
  m.conv(layer(stem), "stem.conv.", false);
  m.norm(layer(stem + 1), "stem.norm.");
  for (int i = 0; i < 2; ++i) {
    const std::string n = std::to_string(i);
    m.conv(layer(stem + 3 + 3 * i), "down." + n + ".conv.", false);
    m.norm(layer(stem + 4 + 3 * i), "down." + n + ".norm.");
    m.conv(layer(up + 3 * i), "up." + n + ".conv.", false);
    m.norm(layer(up + 1 + 3 * i), "up." + n + ".norm.");
  }
}

void require_rgb_to_rgb(const Source& src, const nets::TranslatorConfig& config) {
  if (config.in_channels != 3 || config.out_channels != 3)
    src.fail("maps " + std::to_string(config.in_channels) + " channels to " + std::to_string(config.out_channels) +
             "; a reenactment model maps 3 to 3");
}

std::string architecture_message(const std::string& what, int count, const std::string& builds) {
  return "has " + std::to_string(count) + " " + what + "; this version builds " + builds;
}

}  // namespace

const std::vector<std::string>& stargan_celeba_domains() {
  static const std::vector<std::string> names{"Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"};
  return names;
}

std::string pytorch_layout(const NamedTensors& state) {
  std::set<std::string> keys;
  for (const auto& [name, t] : state) keys.insert(name);
  auto has = [&](const std::string& k) { return keys.count(k) != 0; };
  auto dims = [&](const std::string& k) {
    for (const auto& [name, t] : state)
      if (name == k) return t.dim();
    return int64_t{-1};
  };
  if (has("main.0.weight") && has("conv1.weight") && has("conv2.weight")) return "stargan-discriminator";
  if (has("main.0.weight") && dims("main.0.weight") == 4) return "stargan-generator";
  if (has("model.model.0.weight")) return "pix2pix-unet";
  if (has("model.1.weight") && dims("model.1.weight") == 4 && !has("model.0.weight")) return "pix2pix-resnet";
  if (has("model.0.weight") && dims("model.0.weight") == 4) return "pix2pix-patch";
  return "";
}

nets::Editor import_stargan_generator(const NamedTensors& state, const std::string& source, int image_size) {
  Source src(state, source, "StarGAN's generator");
  const torch::Tensor& stem = src.weight("main.0.weight", 4);
  const int width = checked_int(src, stem.size(0), "conv_dim");
  const int c_dim = checked_int(src, stem.size(1) - 3, "the label count (c_dim)");
  const std::set<int> blocks = indices(src, "main.", ".main.0.weight");
  const int repeat = static_cast<int>(blocks.size());
  std::string arch = repeat == 6 ? "res6" : repeat == 9 ? "res9" : repeat == 0 ? "cnet" : "";
  if (arch.empty())
    src.fail(architecture_message("residual blocks (repeat_num)", repeat, "6 (res6), 9 (res9) or 0 (cnet)"));
  for (int i = 0; i < repeat; ++i)
    if (!blocks.count(9 + i)) src.fail("misses the key 'main." + std::to_string(9 + i) + ".main.0.weight'");

  nets::Editor g = nets::make_editor({arch, c_dim, width, image_size});
  const int up = 9 + repeat;
  Mapping m(src);
  map_resnet_ends(m, "main.", 0, up);
  for (int k = 0; k < repeat; ++k) {
    const std::string from = "main." + std::to_string(9 + k) + ".main.", to = "res." + std::to_string(k) + ".";
    m.conv(from + "0.", to + "conv1.", false);
    m.norm(from + "1.", to + "norm1.");
    m.conv(from + "3.", to + "conv2.", false);
    m.norm(from + "4.", to + "norm2.");
  }
  m.conv("main." + std::to_string(up + 6) + ".", "head.", false);
  m.apply(*g);
  g->eval();
  return g;
}

nets::StarGanDiscriminator import_stargan_discriminator(const NamedTensors& state, const std::string& source) {
  Source src(state, source, "StarGAN's discriminator");
  const int width = checked_int(src, src.weight("main.0.weight", 4).size(0), "conv_dim");
  const std::set<int> convs = indices(src, "main.", ".weight");
  const int repeat = static_cast<int>(convs.size());
  if (repeat > 12) src.fail(architecture_message("downsampling convs (repeat_num)", repeat, "at most 12"));
  const torch::Tensor& cls = src.weight("conv2.weight", 4);
  const int c_dim = checked_int(src, cls.size(0), "the label count (c_dim)");
  const int image_size = checked_int(src, cls.size(2) << repeat, "the image size (conv2's kernel · 2^repeat_num)");
  nets::StarGanDiscriminator d(image_size, width, c_dim, repeat);
  Mapping m(src);
  for (int i = 0; i < repeat; ++i) {
    const std::string n = "main." + std::to_string(2 * i) + ".";
    m.conv(n, n, true);
  }
  m.conv("conv1.", "src.", false);
  m.conv("conv2.", "cls.", false);
  m.apply(*d);
  d->eval();
  return d;
}

namespace {

nets::Translator import_pix2pix_unet(const Source& src, int image_size) {
  // Level L's block: "model.model." at the outermost, then the submodule at index 1 of the
  // outermost block and at index 3 of the middle ones; the innermost has no submodule.
  std::vector<std::string> blocks{"model.model."};
  for (;;) {
    const std::string& p = blocks.back();
    const std::string sub = p + (blocks.size() == 1 ? "1.model." : "3.model.");
    bool nested = false;
    for (const auto& [name, t] : src.tensors()) nested = nested || name.rfind(sub, 0) == 0;
    if (!nested) break;
    if (blocks.size() > 12) src.fail("nests U-Net blocks deeper than 12 levels");
    blocks.push_back(sub);
  }
  const int downs = static_cast<int>(blocks.size());
  const std::string arch = downs == 6 ? "unet64" : downs == 7 ? "unet128" : downs == 8 ? "unet256" : "";
  if (arch.empty())
    src.fail(architecture_message("U-Net levels (num_downs)", downs, "6 (unet64), 7 (unet128) or 8 (unet256)"));
  const torch::Tensor& first = src.weight("model.model.0.weight", 4);
  const torch::Tensor& last = src.weight("model.model.3.weight", 4);
  nets::TranslatorConfig config{arch, static_cast<int>(first.size(1)), static_cast<int>(last.size(1)),
                                checked_int(src, first.size(0), "ngf"), image_size};
  require_rgb_to_rgb(src, config);
  nets::Translator g = nets::make_translator(config);
  Mapping m(src);
  const int innermost = downs - 1;
  for (int level = 0; level < downs; ++level) {
    const std::string& p = blocks[static_cast<std::size_t>(level)];
    const std::string down = "down." + std::to_string(level) + ".", up = "up." + std::to_string(level) + ".";
    if (level == 0) {
      m.conv(p + "0.", down + "conv.", true);
      m.conv(p + "3.", up + "conv.", true);
    } else if (level == innermost) {
      m.conv(p + "1.", down + "conv.", true);
      m.conv(p + "3.", up + "conv.", false);
      m.norm(p + "4.", up + "norm.");
    } else {
      m.conv(p + "1.", down + "conv.", false);
      m.norm(p + "2.", down + "norm.");
      m.conv(p + "5.", up + "conv.", false);
      m.norm(p + "6.", up + "norm.");
    }
  }
  m.apply(*g);
  return g;
}

nets::Translator import_pix2pix_resnet(const Source& src, int image_size) {
  const std::set<int> blocks = indices(src, "model.", ".conv_block.1.weight");
  const int n = static_cast<int>(blocks.size());
  const std::string arch = n == 6 ? "resnet_6blocks" : n == 9 ? "resnet_9blocks" : "";
  if (arch.empty())
    src.fail(architecture_message("residual blocks (n_blocks)", n, "6 (resnet_6blocks) or 9 (resnet_9blocks)"));
  for (int k = 0; k < n; ++k)
    if (!blocks.count(10 + k)) src.fail("misses the key 'model." + std::to_string(10 + k) + ".conv_block.1.weight'");
  const int up = 10 + n;
  const torch::Tensor& stem = src.weight("model.1.weight", 4);
  const torch::Tensor& head = src.weight("model." + std::to_string(up + 7) + ".weight", 4);
  nets::TranslatorConfig config{arch, static_cast<int>(stem.size(1)), static_cast<int>(head.size(0)),
                                checked_int(src, stem.size(0), "ngf"), image_size};
  require_rgb_to_rgb(src, config);
  nets::Translator g = nets::make_translator(config);
  Mapping m(src);
  map_resnet_ends(m, "model.", 1, up);
  for (int k = 0; k < n; ++k) {
    const std::string from = "model." + std::to_string(10 + k) + ".conv_block.", to = "res." + std::to_string(k) + ".";
    // With dropout (pix2pix's --no_dropout left out) a Dropout sits at index 4 and shifts the
    // second conv from 5 to 6.
    const bool dropout = !src.has(from + "5.weight") && src.has(from + "6.weight") &&
                         src.at(from + "6.weight").dim() == 4;
    const int second = dropout ? 6 : 5;
    m.conv(from + "1.", to + "conv1.", false);
    m.norm(from + "2.", to + "norm1.");
    m.conv(from + std::to_string(second) + ".", to + "conv2.", false);
    m.norm(from + std::to_string(second + 1) + ".", to + "norm2.");
  }
  m.conv("model." + std::to_string(up + 7) + ".", "head.", true);
  m.apply(*g);
  return g;
}

}  // namespace

nets::Translator import_pix2pix_generator(const NamedTensors& state, const std::string& source, int image_size) {
  const std::string layout = pytorch_layout(state);
  if (layout == "pix2pix-unet") {
    nets::Translator g = import_pix2pix_unet(Source(state, source, "pix2pix's UnetGenerator"), image_size);
    g->eval();
    return g;
  }
  if (layout == "pix2pix-resnet") {
    nets::Translator g = import_pix2pix_resnet(Source(state, source, "pix2pix's ResnetGenerator"), image_size);
    g->eval();
    return g;
  }
  throw InputError(source, "is not a pix2pix generator (UnetGenerator or ResnetGenerator)" +
                               (layout.empty() ? std::string() : "; it looks like " + layout));
}

nets::PatchDiscriminator import_patch_discriminator(const NamedTensors& state, const std::string& source) {
  Source src(state, source, "pix2pix's NLayerDiscriminator");
  const torch::Tensor& first = src.weight("model.0.weight", 4);
  const std::set<int> convs = indices(src, "model.", ".weight");
  // Conv weights are 4-D; a norm's weight (BatchNorm) is 1-D.
  int conv_count = 0;
  for (int i : convs)
    if (src.at("model." + std::to_string(i) + ".weight").dim() == 4) ++conv_count;
  const int n_layers = conv_count - 2;
  if (n_layers < 1 || n_layers > 20) src.fail(architecture_message("conv layers", conv_count, "3 to 22"));
  nets::PatchDiscriminator d(checked_int(src, first.size(1), "the input channel count"),
                             checked_int(src, first.size(0), "ndf"), n_layers);
  Mapping m(src);
  m.conv("model.0.", "main.0.", true);
  for (int k = 1; k <= n_layers; ++k) {
    m.conv("model." + std::to_string(2 + 3 * (k - 1)) + ".", "main." + std::to_string(2 + 3 * (k - 1)) + ".", false);
    m.norm("model." + std::to_string(3 + 3 * (k - 1)) + ".", "main." + std::to_string(3 + 3 * (k - 1)) + ".");
  }
  const std::string last = std::to_string(2 + 3 * n_layers);
  m.conv("model." + last + ".", "main." + last + ".", true);
  m.apply(*d);
  d->eval();
  return d;
}

namespace {

std::string base_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

}  // namespace

std::string import_pytorch_model(const ImportOptions& o, const std::string& output) {
  const NamedTensors g_state = read_pytorch_state_dict(o.generator, o.generator_key);
  const std::string layout = pytorch_layout(g_state);
  NamedTensors d_state;
  std::string d_layout;
  if (!o.discriminator.empty()) {
    d_state = read_pytorch_state_dict(o.discriminator, o.discriminator_key);
    d_layout = pytorch_layout(d_state);
  }

  ModelFile file;
  std::ostringstream said;
  if (layout == "stargan-generator") {
    nets::StarGanDiscriminator d{nullptr};
    if (!o.discriminator.empty()) {
      if (d_layout != "stargan-discriminator")
        throw InputError(o.discriminator, "is not StarGAN's discriminator, which a StarGAN generator pairs with" +
                                              (d_layout.empty() ? std::string() : " (it looks like " + d_layout + ")"));
      d = import_stargan_discriminator(d_state, o.discriminator);
      if (o.image_size > 0 && o.image_size != d->image_size)
        throw UsageError("--image-size " + std::to_string(o.image_size) + ": the discriminator of " + o.discriminator +
                         " takes " + std::to_string(d->image_size) + " px images");
    }
    const int size = o.image_size > 0 ? o.image_size : d ? d->image_size : 128;
    nets::Editor g = import_stargan_generator(g_state, o.generator, size);
    const std::vector<std::string>& attributes = o.attributes.empty() ? stargan_celeba_domains() : o.attributes;
    if (static_cast<int>(attributes.size()) != g->config().c_dim)
      throw UsageError("--attributes: " + std::to_string(attributes.size()) + " names for a generator of " +
                       std::to_string(g->config().c_dim) + " domain labels (" + o.generator + ")");
    if (d && d->cls->weight.size(0) != g->config().c_dim)
      throw InputError(o.discriminator, "classifies " + std::to_string(d->cls->weight.size(0)) +
                                            " domains, the generator takes " + std::to_string(g->config().c_dim));
    describe_editor(file, g->config(), attributes);
    file.set_module("weights", *g);
    said << "StarGAN generator -> " << g->config().arch << " editor, conv_dim " << g->config().width << ", "
         << attributes.size() << " domains, " << size << " px";
    if (d) {
      file.set_module("D", *d);
      file.meta.set("discriminator.arch", std::string("stargan-d"));
      file.meta.set("discriminator.width", d->main->ptr(0)->as<torch::nn::Conv2dImpl>()->weight.size(0));
      file.meta.set("discriminator.repeat_num", std::int64_t{d->repeat_num});
      said << "; its discriminator (repeat_num " << d->repeat_num << ")";
    }
  } else if (layout == "pix2pix-unet" || layout == "pix2pix-resnet") {
    nets::PatchDiscriminator d{nullptr};
    if (!o.discriminator.empty()) {
      if (d_layout != "pix2pix-patch")
        throw InputError(o.discriminator, "is not pix2pix's NLayerDiscriminator, which a pix2pix generator pairs "
                                          "with" + (d_layout.empty() ? std::string() : " (it looks like " + d_layout + ")"));
      d = import_patch_discriminator(d_state, o.discriminator);
    }
    const int size = o.image_size > 0 ? o.image_size : 256;
    nets::Translator g = import_pix2pix_generator(g_state, o.generator, size);
    file.meta.set("task", std::string("reenactor"));
    describe_translator(file, g->config());
    file.set_module("weights", *g);
    said << "pix2pix generator -> " << g->config().arch << " reenactor, ngf " << g->config().width << ", " << size
         << " px";
    if (d) {
      file.set_module("D", *d);
      file.meta.set("discriminator.arch", std::string("patch-d"));
      file.meta.set("discriminator.width", d->main->ptr(0)->as<torch::nn::Conv2dImpl>()->weight.size(0));
      file.meta.set("discriminator.layers", std::int64_t{d->n_layers});
      file.meta.set("discriminator.in_channels", std::int64_t{d->in_channels});
      said << "; its PatchGAN (n_layers " << d->n_layers << ")";
    }
  } else {
    throw InputError(o.generator, "is not a generator this importer knows (StarGAN's Generator, pix2pix's "
                                  "UnetGenerator or ResnetGenerator)" +
                                      (layout.empty() ? std::string() : "; it looks like " + layout));
  }
  file.meta.set("imported.layout", layout);
  file.meta.set("imported.generator", base_name(o.generator));
  file.meta.set("imported.generator_sha256", file_sha256(o.generator));
  if (!o.discriminator.empty()) {
    file.meta.set("imported.discriminator", base_name(o.discriminator));
    file.meta.set("imported.discriminator_sha256", file_sha256(o.discriminator));
  }
  file.save(output);
  return said.str();
}

}  // namespace idef
