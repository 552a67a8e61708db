#include "nets/substitution.h"

#include <map>
#include <sstream>
#include <set>

#include "core/error.h"
#include "nets/layers.h"

namespace idef::nets {

namespace {

namespace nn = torch::nn;

// The member that `layer`'s forward reads for its parameter `local` ("weight" or "bias"),
// or nullptr when the layer type is not one whose forward reads such members.
template <typename Layer, typename... Rest>
torch::Tensor* member_of(nn::Module& layer, const std::string& local) {
  if (auto* l = dynamic_cast<Layer*>(&layer)) {
    if (local == "weight") return &l->weight;
    if (local == "bias") return &l->bias;
    return nullptr;
  }
  if constexpr (sizeof...(Rest) > 0)
    return member_of<Rest...>(layer, local);
  else
    return nullptr;
}

torch::Tensor* layer_member(nn::Module& layer, const std::string& local) {
  return member_of<nn::Conv2dImpl, nn::ConvTranspose2dImpl, nn::InstanceNorm2dImpl, nn::BatchNorm2dImpl,
                   nn::LinearImpl, nn::Conv1dImpl, nn::Conv3dImpl, nn::ConvTranspose1dImpl, nn::ConvTranspose3dImpl,
                   nn::InstanceNorm1dImpl, nn::InstanceNorm3dImpl, nn::BatchNorm1dImpl, nn::BatchNorm3dImpl,
                   nn::LayerNormImpl, nn::GroupNormImpl>(layer, local);
}

std::string describe(const torch::Tensor& t) {
  std::ostringstream s;
  s << detail::shape_string(t) << ' ' << c10::toString(t.scalar_type()) << " on " << t.device();
  return s.str();
}

}  // namespace

ParameterSubstitution::ParameterSubstitution(nn::Module& module,
                                             const std::vector<std::pair<std::string, torch::Tensor>>& replacements) {
  std::map<std::string, nn::Module*> layers{{"", &module}};
  for (const auto& item : module.named_modules("", /*include_self=*/false)) layers[item.key()] = item.value().get();
  const auto params = module.named_parameters(/*recurse=*/true);

  std::set<std::string> seen;
  std::vector<std::pair<torch::Tensor*, torch::Tensor>> planned;
  for (const auto& [name, tensor] : replacements) {
    const torch::Tensor* param = params.find(name);
    if (!param) throw Error("cannot substitute parameter '" + name + "': the network has no parameter of that name");
    if (!seen.insert(name).second) throw Error("cannot substitute parameter '" + name + "' twice at once");
    if (!tensor.defined()) throw Error("cannot substitute parameter '" + name + "' with an undefined tensor");
    if (tensor.sizes() != param->sizes() || tensor.dtype() != param->dtype() || tensor.device() != param->device())
      throw Error("cannot substitute parameter '" + name + "': it is " + describe(*param) + ", the replacement is " +
                  describe(tensor));
    const auto dot = name.rfind('.');
    const std::string path = dot == std::string::npos ? "" : name.substr(0, dot);
    const std::string local = dot == std::string::npos ? name : name.substr(dot + 1);
    const auto layer = layers.find(path);
    torch::Tensor* member = layer == layers.end() ? nullptr : layer_member(*layer->second, local);
    if (!member)
      throw Error("cannot substitute parameter '" + name + "': its layer (" +
                  (layer == layers.end() ? std::string("unknown") : layer->second->name()) +
                  ") is not a supported layer type");
    planned.emplace_back(member, tensor);
  }
  swaps_.reserve(planned.size());
  for (auto& [member, tensor] : planned) {
    swaps_.push_back({member, *member});
    *member = tensor;
  }
}

ParameterSubstitution::~ParameterSubstitution() {
  for (auto it = swaps_.rbegin(); it != swaps_.rend(); ++it) *it->member = std::move(it->original);
}

}  // namespace idef::nets
