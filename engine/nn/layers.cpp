#include "engine/nn/layers.h"

#include "engine/nn/init.h"

namespace aafgan::nn {

Linear::Linear(int64_t in, int64_t out, Generator& gen, bool with_bias, DType dtype) {
  weight = register_parameter("weight", Tensor::empty(Shape{out, in}, dtype));
  init::fan_in_uniform(weight, in, gen);
  if (with_bias) {
    bias = register_parameter("bias", Tensor::empty(Shape{out}, dtype));
    init::fan_in_uniform(bias, in, gen);
  }
}

Tensor Linear::forward(const Tensor& x) { return linear(x, weight, bias); }

Dropout::Dropout(double prob, std::shared_ptr<Generator> gen) : p(prob), gen_(std::move(gen)) {
  AAFGAN_CHECK(p >= 0.0 && p < 1.0, "Dropout: probability {} outside [0, 1)", p);
  AAFGAN_CHECK(gen_ != nullptr, "Dropout needs a generator");
}

Tensor Dropout::forward(const Tensor& x) { return dropout(x, p, training(), *gen_); }

std::shared_ptr<Module> ReLU() { return std::make_shared<Function>([](const Tensor& x) { return relu(x); }); }
std::shared_ptr<Module> LeakyReLU(double slope) {
  return std::make_shared<Function>([slope](const Tensor& x) { return leaky_relu(x, slope); });
}
std::shared_ptr<Module> Sigmoid() { return std::make_shared<Function>([](const Tensor& x) { return sigmoid(x); }); }
std::shared_ptr<Module> Tanh() { return std::make_shared<Function>([](const Tensor& x) { return aafgan::tanh(x); }); }

Sequential& Sequential::add(std::shared_ptr<Module> m) {
  register_module(std::to_string(layers_.size()), m);
  layers_.push_back(std::move(m));
  return *this;
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (auto& layer : layers_) h = layer->forward(h);
  return h;
}

}  // namespace aafgan::nn
