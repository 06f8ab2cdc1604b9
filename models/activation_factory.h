#pragma once
// Turns the activation names of the CLI and the reference configs into layers.
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/nn/adaptive.h"
#include "engine/nn/layers.h"

namespace aafgan::models {

// Where a layer sits decides its variant and default initialiser (activations.md).
enum class Net { generator, discriminator };

// Every adaptive layer of a network, in forward order, for statistics and freezing.
struct AdaptiveLayer {
  std::string name;  // e.g. "hidden1.MiDA", "out.BHSA"
  std::shared_ptr<nn::AdaptiveActivation> layer;
  // Its position in the network's Sequential, which is its index in the reference config's
  // layer list: the <Gen|Dis>_<param>_<index>.csv files of stats/ are named by it.
  int index = -1;
};

// Sets each layer's index to its position in `net`; every layer must be one of net's children.
void index_adaptive_layers(std::vector<AdaptiveLayer>& layers, nn::Sequential& net);

class ActivationFactory {
 public:
  // `initializers`: the network's <NAME>_INITIALIZER objects from the config (may be null).
  ActivationFactory(Net net, nlohmann::json initializers, Generator& gen, DType dtype);

  // "default" → the architecture's fixed function (`fallback`), else an adaptive layer with
  // parameters of `param_shape`, recorded under `label`.
  std::shared_ptr<nn::Module> hidden(const std::string& name, const Shape& param_shape, const std::string& label,
                                     std::shared_ptr<nn::Module> fallback);
  // The output activation: default is tanh (generator) or sigmoid (discriminator).
  std::shared_ptr<nn::Module> output(const std::string& name, const Shape& param_shape);

  const std::vector<AdaptiveLayer>& adaptive_layers() const { return layers_; }

 private:
  std::shared_ptr<nn::Module> adaptive(Act act, const Shape& param_shape, const std::string& label);

  Net net_;
  nlohmann::json initializers_;
  Generator& gen_;
  DType dtype_;
  std::vector<AdaptiveLayer> layers_;
};

}  // namespace aafgan::models
