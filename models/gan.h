#pragma once
// What the adversarial trainer needs from an architecture: its two networks, how to feed
// them (noise, conditioning labels) and their adaptive layers.
#include <cmath>
#include <memory>
#include <vector>

#include "engine/nn/module.h"
#include "models/activation_factory.h"

namespace aafgan::models {

class GanModel {
 public:
  virtual ~GanModel() = default;

  virtual int64_t noise_size() const = 0;
  // 0 for an unconditional GAN.
  virtual int num_classes() const = 0;
  // One real or generated sample, without the batch dimension ([784], [3,64,64]).
  virtual Shape sample_shape() const = 0;
  // One sample as a picture [C, H, W] (the sample grids): a flat sample is a square grey one
  // unless the model knows better.
  virtual Shape image_shape() const {
    const Shape s = sample_shape();
    if (s.ndim() == 3) return s;
    const auto side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(s.numel()))));
    return Shape{1, side, side};
  }
  // z [N, noise_size]; onehot [N, classes] or undefined. Returns samples [N, sample_shape…].
  virtual Tensor generate(const Tensor& z, const Tensor& onehot) = 0;
  // x [N, sample_shape…]; returns probabilities [N, 1].
  virtual Tensor discriminate(const Tensor& x, const Tensor& onehot) = 0;

  nn::Module& generator() { return *generator_; }
  // Where the networks' parameters are (the trainer moves them).
  Device device() const { return generator_->parameters().front().device(); }
  nn::Module& discriminator() { return *discriminator_; }
  const std::vector<AdaptiveLayer>& generator_adaptive() const { return g_adaptive_; }
  const std::vector<AdaptiveLayer>& discriminator_adaptive() const { return d_adaptive_; }

 protected:
  // The end of every model's constructor: keeps the built networks and their adaptive layers,
  // indexed by their position in the network (as checkpoints and TensorBoard name them).
  void adopt_networks(std::shared_ptr<nn::Sequential> g, std::shared_ptr<nn::Sequential> d,
                      const ActivationFactory& gf, const ActivationFactory& df) {
    g_adaptive_ = gf.adaptive_layers();
    d_adaptive_ = df.adaptive_layers();
    index_adaptive_layers(g_adaptive_, *g);
    index_adaptive_layers(d_adaptive_, *d);
    generator_ = std::move(g);
    discriminator_ = std::move(d);
  }

  std::shared_ptr<nn::Module> generator_, discriminator_;
  std::vector<AdaptiveLayer> g_adaptive_, d_adaptive_;
};

// One-hot rows for class indices.
Tensor one_hot(const std::vector<int32_t>& labels, int classes, DType dtype);

}  // namespace aafgan::models
