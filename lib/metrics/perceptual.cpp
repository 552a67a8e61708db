#include "metrics/perceptual.h"

#include <sstream>

#include "core/error.h"
#include "model/model_file.h"

namespace idef {
namespace nn = torch::nn;

namespace {

constexpr const char* kTask = "perceptual";
constexpr double kUnitEps = 1e-10;  // LPIPS's normalize_tensor

nn::Conv2d conv(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride, std::int64_t pad) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(pad));
}

void check_pair(const torch::Tensor& a, const torch::Tensor& b, int min_size, const std::string& what) {
  if (a.dim() != 4 || a.size(1) != 3 || a.sizes() != b.sizes()) {
    std::ostringstream msg;
    msg << what << " needs two [N,3,H,W] tensors of one shape, got " << a.sizes() << " and " << b.sizes();
    throw Error(msg.str());
  }
  if (a.size(2) < min_size || a.size(3) < min_size)
    throw Error(what + " needs images of at least " + std::to_string(min_size) + "×" + std::to_string(min_size) +
                " pixels, got " + std::to_string(a.size(3)) + "×" + std::to_string(a.size(2)));
}

}  // namespace

LpipsLinImpl::LpipsLinImpl(std::int64_t channels) {
  model = register_module("model", nn::Sequential(nn::Dropout(0.5), nn::Conv2d(nn::Conv2dOptions(channels, 1, 1).bias(false))));
}

torch::Tensor LpipsLinImpl::forward(const torch::Tensor& x) { return model->forward(x); }

std::vector<std::string> perceptual_architectures() { return {"alex", "vgg"}; }

PerceptualNetImpl::PerceptualNetImpl(const std::string& arch) : arch_(arch) {
  features = nn::Sequential();
  if (arch == "alex") {
    // torchvision alexnet().features; indices matter, they are the parameter names.
    features->push_back(conv(3, 64, 11, 4, 2));   // 0
    features->push_back(nn::ReLU());              // 1  tap relu1
    features->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2)));
    features->push_back(conv(64, 192, 5, 1, 2));  // 3
    features->push_back(nn::ReLU());              // 4  tap relu2
    features->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2)));
    features->push_back(conv(192, 384, 3, 1, 1));  // 6
    features->push_back(nn::ReLU());               // 7  tap relu3
    features->push_back(conv(384, 256, 3, 1, 1));  // 8
    features->push_back(nn::ReLU());               // 9  tap relu4
    features->push_back(conv(256, 256, 3, 1, 1));  // 10
    features->push_back(nn::ReLU());               // 11 tap relu5
    tap_after_ = {1, 4, 7, 9, 11};
    channels_ = {64, 192, 384, 256, 256};
  } else if (arch == "vgg") {
    // torchvision vgg16().features: 3×3 convs, ReLU, 2×2 max pools between blocks.
    const std::vector<int> widths = {64, 64, -1, 128, 128, -1, 256, 256, 256, -1, 512, 512, 512, -1, 512, 512, 512};
    std::int64_t in = 3;
    for (int w : widths) {
      if (w < 0) {
        features->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)));
      } else {
        features->push_back(conv(in, w, 3, 1, 1));
        features->push_back(nn::ReLU());
        in = w;
      }
    }
    tap_after_ = {3, 8, 15, 22, 29};  // relu1_2, relu2_2, relu3_3, relu4_3, relu5_3
    channels_ = {64, 128, 256, 512, 512};
  } else {
    throw Error("unknown perceptual network '" + arch + "' (alex, vgg)");
  }
  register_module("features", features);
  for (std::size_t k = 0; k < channels_.size(); ++k)
    lin.push_back(register_module("lin" + std::to_string(k), LpipsLin(channels_[k])));
}

int PerceptualNetImpl::min_size() const { return arch_ == "alex" ? 31 : 16; }

std::vector<torch::Tensor> PerceptualNetImpl::taps(const torch::Tensor& x, int count) {
  count = std::clamp(count, 1, static_cast<int>(tap_after_.size()));
  std::vector<torch::Tensor> out;
  torch::Tensor h = x;
  std::size_t i = 0;
  for (auto& layer : *features) {
    h = layer.forward(h);
    if (i == tap_after_[out.size()]) {
      out.push_back(h);
      if (static_cast<int>(out.size()) == count) break;
    }
    ++i;
  }
  return out;
}

void save_perceptual_weights(const std::string& path, PerceptualNet& net) {
  ModelFile file;
  file.meta.set("task", std::string(kTask));
  file.meta.set("network.arch", net->arch());
  file.set_module("weights", *net);
  file.save(path);
}

PerceptualNet load_perceptual_weights(const std::string& path, bool need_lin, const torch::Device& device) {
  ModelFile file = ModelFile::load(path);
  file.require("task", kTask);
  if (!file.meta.has("network.arch")) throw InputError(path, "metadata lacks network.arch (alex or vgg)");
  std::string arch;
  try {
    arch = file.meta.get_string("network.arch");
  } catch (const Error& e) {
    throw InputError(path, e.what());
  }
  auto archs = perceptual_architectures();
  if (std::find(archs.begin(), archs.end(), arch) == archs.end())
    throw InputError(path, "network.arch is '" + arch + "', expected alex or vgg");
  PerceptualNet net(arch);
  NamedTensors stored = file.tensors("weights");
  std::map<std::string, torch::Tensor> by_name(stored.begin(), stored.end());
  torch::NoGradGuard no_grad;
  for (auto& p : net->named_parameters(true)) {
    const std::string& name = p.key();
    bool is_lin = name.rfind("lin", 0) == 0;
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      if (is_lin && !need_lin) continue;
      throw InputError(path, "weights lack tensor '" + name + "' (" + arch + (is_lin ? ": LPIPS's lin layers)" : ")"));
    }
    if (it->second.sizes() != p.value().sizes()) {
      std::ostringstream msg;
      msg << "tensor '" << name << "' has shape " << it->second.sizes() << ", " << arch << " needs "
          << p.value().sizes();
      throw InputError(path, msg.str());
    }
    if (!it->second.is_floating_point()) throw InputError(path, "tensor '" + name + "' is not floating point");
    p.value().copy_(it->second);
  }
  for (auto& p : net->parameters()) p.set_requires_grad(false);
  net->eval();
  net->to(device);
  return net;
}

Lpips Lpips::load(const std::string& path, const torch::Device& device) {
  return Lpips(load_perceptual_weights(path, true, device));
}

torch::Tensor Lpips::distance(const torch::Tensor& a, const torch::Tensor& b) {
  check_pair(a, b, min_size(), "LPIPS (" + arch() + ")");
  auto opts = a.options();
  // LPIPS's ScalingLayer, on [-1, 1] inputs.
  torch::Tensor shift = torch::tensor({-.030, -.088, -.188}, opts).view({1, 3, 1, 1});
  torch::Tensor scale = torch::tensor({.458, .448, .450}, opts).view({1, 3, 1, 1});
  auto fa = net_->taps((a - shift) / scale), fb = net_->taps((b - shift) / scale);
  torch::Tensor total = torch::zeros({a.size(0)}, opts);
  for (std::size_t k = 0; k < fa.size(); ++k) {
    auto unit = [](const torch::Tensor& f) { return f / (f.pow(2).sum(1, true).sqrt() + kUnitEps); };
    torch::Tensor d = (unit(fa[k]) - unit(fb[k])).pow(2);
    total = total + net_->lin[k]->forward(d).mean({1, 2, 3});
  }
  return total;
}

std::vector<double> Lpips::per_image(const torch::Tensor& a, const torch::Tensor& b) {
  torch::NoGradGuard no_grad;
  torch::Tensor d = distance(a, b).to(torch::kCPU, torch::kDouble).contiguous();
  return std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
}

VggPerceptualLoss VggPerceptualLoss::load(const std::string& path, Distance distance, int layers,
                                          const torch::Device& device) {
  PerceptualNet net = load_perceptual_weights(path, false, device);
  if (net->arch() != "vgg") throw InputError(path, "the VGG perceptual loss needs vgg weights, the file holds " + net->arch());
  return VggPerceptualLoss(net, distance, layers);
}

VggPerceptualLoss::VggPerceptualLoss(PerceptualNet net, Distance distance, int layers)
    : net_(std::move(net)), distance_(distance), layers_(layers) {
  if (layers < 1 || layers > 5) throw Error("the VGG perceptual loss uses 1 to 5 layers, not " + std::to_string(layers));
}

torch::Tensor VggPerceptualLoss::operator()(const torch::Tensor& a, const torch::Tensor& b) {
  check_pair(a, b, 1 << (layers_ - 1), "the VGG perceptual loss");
  auto opts = a.options();
  torch::Tensor mean = torch::tensor({0.485, 0.456, 0.406}, opts).view({1, 3, 1, 1});
  torch::Tensor std = torch::tensor({0.229, 0.224, 0.225}, opts).view({1, 3, 1, 1});
  auto norm = [&](const torch::Tensor& x) { return ((x + 1) / 2 - mean) / std; };
  auto fa = net_->taps(norm(a), layers_), fb = net_->taps(norm(b), layers_);
  torch::Tensor total = torch::zeros({}, opts);
  for (std::size_t k = 0; k < fa.size(); ++k) {
    torch::Tensor d = fa[k] - fb[k];
    total = total + (distance_ == Distance::L1 ? d.abs() : d.pow(2)).mean();
  }
  return total / static_cast<double>(fa.size());
}

}  // namespace idef
