#include "engine/autograd.h"

#include "engine/ops.h"

namespace aafgan::autograd {

namespace {

struct Node {
  const char* name;
  std::vector<std::shared_ptr<TensorImpl>> inputs;  // null where no gradient flows
  std::shared_ptr<TensorImpl> output;
  BackwardFn backward;
};

struct Tape {
  std::vector<Node> nodes;
  bool enabled = true;
};

Tape& tape() {
  thread_local Tape t;
  return t;
}

void accumulate(const char* op, TensorImpl& target, Tensor g) {
  if (g.shape() != target.shape || g.dtype() != target.dtype)
    fail("backward of {}: gradient {} does not match its input ({}{})", op, g.str(), dtype_name(target.dtype),
         target.shape.str());
  if (!target.grad) {
    target.grad = g.impl_ptr();
    return;
  }
  // Out of place: a gradient may alias another (add passes its grad to both inputs).
  NoGradGuard no_grad;
  target.grad = add(Tensor(target.grad), g).impl_ptr();
}

}  // namespace

bool grad_enabled() { return tape().enabled; }

NoGradGuard::NoGradGuard() : previous_(tape().enabled) { tape().enabled = false; }
NoGradGuard::~NoGradGuard() { tape().enabled = previous_; }

void record(const char* name, const std::vector<Tensor>& inputs, Tensor& output, BackwardFn backward) {
  if (!tape().enabled) return;
  bool any = false;
  Node node{name, {}, nullptr, std::move(backward)};
  node.inputs.reserve(inputs.size());
  for (const Tensor& t : inputs) {
    const bool wants = t.defined() && t.requires_grad();
    any = any || wants;
    node.inputs.push_back(wants ? t.impl_ptr() : nullptr);
  }
  if (!any) return;
  output.impl().requires_grad = true;
  output.impl().is_leaf = false;
  node.output = output.impl_ptr();
  tape().nodes.push_back(std::move(node));
}

void record(const char* name, std::initializer_list<Tensor> inputs, Tensor& output, BackwardFn backward) {
  record(name, std::vector<Tensor>(inputs), output, std::move(backward));
}

void backward(const Tensor& loss) {
  AAFGAN_CHECK(loss.numel() == 1, "backward needs a one-element loss, got {}", loss.str());
  AAFGAN_CHECK(loss.requires_grad(), "backward: the loss does not depend on anything that requires a gradient");
  AAFGAN_CHECK(!loss.is_leaf(), "backward: the loss is a leaf tensor; there is nothing to differentiate");
  Tape& t = tape();
  NoGradGuard no_grad;  // backward functions use ops; they must not record
  loss.impl().grad = Tensor::ones(loss.shape(), loss.dtype(), loss.device()).impl_ptr();
  for (auto it = t.nodes.rbegin(); it != t.nodes.rend(); ++it) {
    Node& node = *it;
    if (!node.output->grad) continue;  // not on a path to the loss
    std::vector<bool> needs(node.inputs.size());
    for (size_t i = 0; i < needs.size(); ++i) needs[i] = node.inputs[i] != nullptr;
    Grads grads(std::move(needs));
    node.backward(Tensor(node.output->grad), grads);
    node.output->grad.reset();  // intermediate gradients are freed as soon as they are used
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (!node.inputs[i]) continue;
      if (!grads[i].defined()) fail("backward of {} produced no gradient for input {}", node.name, i);
      accumulate(node.name, *node.inputs[i], grads[i]);
    }
  }
  t.nodes.clear();
}

void clear_tape() { tape().nodes.clear(); }
size_t tape_size() { return tape().nodes.size(); }

}  // namespace aafgan::autograd
