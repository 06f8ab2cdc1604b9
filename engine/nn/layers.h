#pragma once
// The dense layers, dropout, fixed activations and Sequential.
#include <functional>
#include <memory>

#include "engine/nn/module.h"
#include "engine/ops.h"

namespace aafgan::nn {

class Linear : public Module {
 public:
  // weight and bias ~ U(−1/√in, 1/√in), as PyTorch's default.
  Linear(int64_t in, int64_t out, Generator& gen, bool bias = true, DType dtype = DType::f32);
  Tensor forward(const Tensor& x) override;
  Tensor weight, bias;  // [out, in], [out] (bias undefined when disabled)
};

class Dropout : public Module {
 public:
  // The generator is shared with the trainer, so checkpoints capture the mask stream.
  Dropout(double p, std::shared_ptr<Generator> gen);
  Tensor forward(const Tensor& x) override;
  double p;

 private:
  std::shared_ptr<Generator> gen_;
};

// A parameter-free function as a layer (ReLU, LeakyReLU, Sigmoid, Tanh).
class Function : public Module {
 public:
  explicit Function(std::function<Tensor(const Tensor&)> fn) : fn_(std::move(fn)) {}
  Tensor forward(const Tensor& x) override { return fn_(x); }

 private:
  std::function<Tensor(const Tensor&)> fn_;
};

std::shared_ptr<Module> ReLU();
std::shared_ptr<Module> LeakyReLU(double slope);
std::shared_ptr<Module> Sigmoid();
std::shared_ptr<Module> Tanh();

class Sequential : public Module {
 public:
  Sequential() = default;
  // Children are named by position: "0", "1", ...
  Sequential& add(std::shared_ptr<Module> m);
  Tensor forward(const Tensor& x) override;
  size_t size() const { return layers_.size(); }
  Module& operator[](size_t i) { return *layers_.at(i); }

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

}  // namespace aafgan::nn
