#pragma once
// The base of every optimizer: the parameters it updates, its learning rate, and its
// per-parameter state, which state()/load_state() expose so a checkpoint restores a run exactly.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/nn/module.h"
#include "engine/tensor.h"

namespace aafgan::optim {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Copies would share state buffers with the original and silently step them twice.
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter that requires a gradient and has one. A parameter that is
  // frozen or that backward did not reach is skipped, state and all, as PyTorch skips a
  // parameter whose grad is None. Runs without recording and writes the parameters in place.
  virtual void step() = 0;
  // Drops the gradients (PyTorch's set_to_none), so a parameter the next backward does not
  // reach is skipped by the next step rather than updated with a stale or zero gradient.
  void zero_grad();

  double lr() const { return lr_; }
  void set_lr(double lr);
  const std::vector<Tensor>& params() const { return params_; }
  // How many times step() has run (parameters count their own steps, see state()).
  int64_t step_count() const { return steps_; }

  // A snapshot (copies, not handles) of everything step() depends on besides the parameters
  // and the options: "lr", "step" (calls of step()), and per parameter i (its position in
  // params()) "i.step" plus each state buffer the optimizer has created, e.g. "0.exp_avg".
  // Scalars are one-element float64 tensors.
  nn::NamedTensors state() const;
  // Restores a state() taken from an optimizer of the same kind over parameters of the same
  // shapes. Checks everything before changing anything; an unknown, missing or misshapen entry
  // throws naming it. Buffers are converted to each parameter's dtype.
  void load_state(const nn::NamedTensors& state);

 protected:
  // `buffer_names` are the per-parameter state tensors, created on a parameter's first step.
  // With `buffers_optional`, load_state accepts a stepped parameter without them (SGD's momentum
  // buffer, which PyTorch also recreates from the next gradient); otherwise they are required.
  Optimizer(const char* name, std::vector<Tensor> params, double lr, std::vector<std::string> buffer_names,
            bool buffers_optional = false);

  // Whether step() should update parameter i.
  bool has_grad(size_t i) const;
  // Parameter i's gradient after checking that it matches the parameter and lives on the cpu.
  Tensor checked_grad(size_t i) const;
  bool has_buffer(size_t i, size_t k) const;
  // The k-th state buffer of parameter i, created as zeros like the parameter on first use.
  Tensor& buffer(size_t i, size_t k);
  // Parameter i's own step counter.
  int64_t& param_step(size_t i) { return states_[i].step; }
  void count_step() { ++steps_; }
  const char* name() const { return name_; }

 private:
  struct ParamState {
    int64_t step = 0;
    std::vector<Tensor> buffers;  // undefined until created
  };

  const char* name_;
  std::vector<Tensor> params_;
  double lr_;
  int64_t steps_ = 0;
  std::vector<std::string> buffer_names_;
  bool buffers_optional_;
  std::vector<ParamState> states_;
};

}  // namespace aafgan::optim
