#pragma once
#include <functional>
#include <initializer_list>
#include <vector>

#include "engine/tensor.h"

namespace aafgan::autograd {

// What a backward function sees: which inputs want a gradient, and where to put them.
class Grads {
 public:
  explicit Grads(std::vector<bool> needs) : needs_(std::move(needs)), grads_(needs_.size()) {}
  bool needs(size_t i) const { return needs_[i]; }
  void set(size_t i, Tensor g) { grads_[i] = std::move(g); }
  Tensor& operator[](size_t i) { return grads_[i]; }

 private:
  std::vector<bool> needs_;
  std::vector<Tensor> grads_;
};

using BackwardFn = std::function<void(const Tensor& grad_out, Grads& grads)>;

// True unless a NoGradGuard is active on this thread.
bool grad_enabled();

// Ops executed inside this scope record nothing (evaluation, sampling, optimizer steps).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// Appends a node to this thread's tape when grad mode is on and any input requires a
// gradient; marks `output` as a non-leaf that requires one. Undefined inputs (an absent
// bias) are allowed and never receive a gradient.
void record(const char* name, std::initializer_list<Tensor> inputs, Tensor& output, BackwardFn backward);
void record(const char* name, const std::vector<Tensor>& inputs, Tensor& output, BackwardFn backward);

// Walks the tape in reverse from a one-element `loss`, accumulating into the `grad` of
// every leaf that requires one, then clears the tape.
void backward(const Tensor& loss);

// Drops everything recorded since the last backward (a forward whose loss is not needed).
void clear_tape();
size_t tape_size();

}  // namespace aafgan::autograd
