#include "models/activation_factory.h"

#include <algorithm>
#include <cctype>

#include "experiment/experiment.h"

namespace aafgan::models {

namespace {

// The reference configs key initialisers as MIDA_INITIALIZER, BHSA_INITIALIZER, SHRELU_INITIALIZER.
std::string initializer_key(const std::string& act_name) {
  std::string key = act_name;
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::toupper(c); });
  return key + "_INITIALIZER";
}

}  // namespace

ActivationFactory::ActivationFactory(Net net, nlohmann::json initializers, Generator& gen, DType dtype)
    : net_(net), initializers_(std::move(initializers)), gen_(gen), dtype_(dtype) {}

std::shared_ptr<nn::Module> ActivationFactory::adaptive(Act act, const Shape& param_shape,
                                                        const std::string& label) {
  const std::string name = kernels::act_name(act);
  const Range range = net_ == Net::generator ? Range::sym : Range::unit;
  nlohmann::json init = nullptr;
  const std::string key = initializer_key(name);
  if (initializers_.is_object() && initializers_.contains(key)) init = initializers_.at(key);
  auto layer = std::make_shared<nn::AdaptiveActivation>(act, range, param_shape, init, gen_, dtype_);
  layers_.push_back({label + "." + name, layer});
  return layer;
}

std::shared_ptr<nn::Module> ActivationFactory::hidden(const std::string& name, const Shape& param_shape,
                                                      const std::string& label, std::shared_ptr<nn::Module> fallback) {
  const std::optional<Act> act = model_act(name, kernels::ActUse::hidden, label);
  if (!act) return fallback;
  return adaptive(*act, param_shape, label);
}

std::shared_ptr<nn::Module> ActivationFactory::output(const std::string& name, const Shape& param_shape) {
  const std::optional<Act> act = model_act(name, kernels::ActUse::output, "out");
  if (!act) return net_ == Net::generator ? nn::Tanh() : nn::Sigmoid();
  return adaptive(*act, param_shape, "out");
}

void index_adaptive_layers(std::vector<AdaptiveLayer>& layers, nn::Sequential& net) {
  for (AdaptiveLayer& l : layers) {
    for (size_t i = 0; i < net.size() && l.index < 0; ++i)
      if (&net[i] == static_cast<nn::Module*>(l.layer.get())) l.index = static_cast<int>(i);
    AAFGAN_CHECK(l.index >= 0, "adaptive layer {} is not a child of its network", l.name);
  }
}

}  // namespace aafgan::models
