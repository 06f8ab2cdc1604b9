#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace aafgan::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// A layer or a network: named parameters (learned), named buffers (state such as BatchNorm's
// running statistics, saved in checkpoints but never optimised) and named children.
// Registered tensors are handles: update them in place, never rebind the member.
class Module {
 public:
  virtual ~Module() = default;
  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }

  // Recursive, with dotted names ("0.weight", "block.bn.running_mean").
  NamedTensors named_parameters() const;
  NamedTensors named_buffers() const;
  std::vector<Tensor> parameters() const;

  // Train mode (the default) uses batch statistics and dropout; eval mode does not.
  void train(bool on = true);
  void eval() { train(false); }
  bool training() const { return training_; }
  void zero_grad();
  // Moves every parameter and buffer to `device` in place: the tensors' storage changes, their
  // handles (a layer's `weight` member, an optimizer's list) stay valid. Before building an optimizer.
  void to(Device device);

 protected:
  Tensor register_parameter(const std::string& name, Tensor t);
  Tensor register_buffer(const std::string& name, Tensor t);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    children_.emplace_back(name, m);
    return m;
  }

 private:
  void collect(const std::string& prefix, bool params, NamedTensors& out) const;

  NamedTensors params_;
  NamedTensors buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

}  // namespace aafgan::nn
