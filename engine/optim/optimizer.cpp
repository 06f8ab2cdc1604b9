#include "engine/optim/optimizer.h"

#include <cmath>
#include <map>
#include <set>

namespace aafgan::optim {

namespace {

Tensor scalar_f64(double v) { return Tensor::scalar(v, DType::f64); }

// A step counter read back from a one-element tensor: a non-negative integer, exactly.
int64_t read_counter(const char* opt, const std::string& name, const Tensor& t) {
  AAFGAN_CHECK(t.defined() && t.numel() == 1, "{}.load_state: '{}' must be a one-element tensor, got {}", opt, name,
               t.str());
  const double v = t.item();
  AAFGAN_CHECK(std::isfinite(v) && v >= 0 && v == std::floor(v) && v <= 9007199254740992.0,
               "{}.load_state: '{}' = {} is not a step count", opt, name, v);
  return static_cast<int64_t>(v);
}

}  // namespace

Optimizer::Optimizer(const char* name, std::vector<Tensor> params, double lr, std::vector<std::string> buffer_names,
                     bool buffers_optional)
    : name_(name),
      params_(std::move(params)),
      lr_(0),
      buffer_names_(std::move(buffer_names)),
      buffers_optional_(buffers_optional) {
  AAFGAN_CHECK(!params_.empty(), "{}: got an empty parameter list", name_);
  std::set<const TensorImpl*> seen;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    AAFGAN_CHECK(p.defined(), "{}: parameter {} is an undefined tensor", name_, i);
    AAFGAN_CHECK(p.is_leaf(), "{}: parameter {} ({}) is an op's output, not a leaf; it cannot be optimised", name_,
                 i, p.str());
    // Listed twice, a parameter would be stepped twice per step() with one shared state.
    AAFGAN_CHECK(seen.insert(p.impl_ptr().get()).second, "{}: parameter {} ({}) appears more than once", name_, i,
                 p.str());
  }
  set_lr(lr);
  states_.resize(params_.size());
  for (auto& s : states_) s.buffers.resize(buffer_names_.size());
}

void Optimizer::zero_grad() {
  for (auto& p : params_) p.zero_grad();
}

void Optimizer::set_lr(double lr) {
  AAFGAN_CHECK(std::isfinite(lr) && lr >= 0, "{}: invalid learning rate {}", name_, lr);
  lr_ = lr;
}

bool Optimizer::has_grad(size_t i) const {
  const Tensor& p = params_[i];
  return p.requires_grad() && p.grad().defined();
}

Tensor Optimizer::checked_grad(size_t i) const {
  const Tensor& p = params_[i];
  Tensor g = p.grad();
  AAFGAN_CHECK(g.shape() == p.shape() && g.dtype() == p.dtype(),
               "{}.step: the gradient {} of parameter {} does not match the parameter {}", name_, g.str(), i,
               p.str());
  check_same_device(name_, p, g);
  return g;
}

bool Optimizer::has_buffer(size_t i, size_t k) const { return states_[i].buffers[k].defined(); }

Tensor& Optimizer::buffer(size_t i, size_t k) {
  Tensor& b = states_[i].buffers[k];
  const Tensor& p = params_[i];
  if (!b.defined()) {
    b = Tensor::zeros(p.shape(), p.dtype(), p.device());
  } else if (b.device() != p.device()) {
    // The model was moved (Module::to) after this state existed: the state follows its parameter,
    // or a kernel would get a host pointer for a device one.
    b = b.to(p.device());
  }
  return b;
}

nn::NamedTensors Optimizer::state() const {
  nn::NamedTensors out;
  out.emplace_back("lr", scalar_f64(lr_));
  out.emplace_back("step", scalar_f64(static_cast<double>(steps_)));
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string prefix = std::to_string(i) + ".";
    out.emplace_back(prefix + "step", scalar_f64(static_cast<double>(states_[i].step)));
    for (size_t k = 0; k < buffer_names_.size(); ++k)
      if (states_[i].buffers[k].defined()) out.emplace_back(prefix + buffer_names_[k], states_[i].buffers[k].clone());
  }
  return out;
}

void Optimizer::load_state(const nn::NamedTensors& state) {
  std::map<std::string, Tensor> entries;
  for (const auto& [name, t] : state)
    AAFGAN_CHECK(entries.emplace(name, t).second, "{}.load_state: entry '{}' appears twice", name_, name);
  std::set<std::string> used;
  auto take = [&](const std::string& name, bool required) -> const Tensor* {
    auto it = entries.find(name);
    if (it == entries.end()) {
      AAFGAN_CHECK(!required, "{}.load_state: missing entry '{}'", name_, name);
      return nullptr;
    }
    used.insert(name);
    return &it->second;
  };

  const Tensor& lr_t = *take("lr", true);
  AAFGAN_CHECK(lr_t.defined() && lr_t.numel() == 1, "{}.load_state: 'lr' must be a one-element tensor, got {}", name_,
               lr_t.str());
  const double lr = lr_t.item();
  AAFGAN_CHECK(std::isfinite(lr) && lr >= 0, "{}.load_state: invalid learning rate {}", name_, lr);
  const int64_t steps = read_counter(name_, "step", *take("step", true));

  std::vector<ParamState> loaded(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    const std::string prefix = std::to_string(i) + ".";
    loaded[i].step = read_counter(name_, prefix + "step", *take(prefix + "step", true));
    loaded[i].buffers.resize(buffer_names_.size());
    for (size_t k = 0; k < buffer_names_.size(); ++k) {
      const std::string name = prefix + buffer_names_[k];
      const Tensor* src = take(name, loaded[i].step > 0 && !buffers_optional_);
      if (!src) continue;
      AAFGAN_CHECK(src->defined() && src->shape() == p.shape(),
                   "{}.load_state: '{}' is {} but parameter {} is {}", name_, name, src->str(), i, p.str());
      Tensor b = Tensor::empty(p.shape(), p.dtype(), p.device());
      b.copy_(*src);
      loaded[i].buffers[k] = std::move(b);
    }
  }
  for (const auto& [name, t] : entries)
    AAFGAN_CHECK(used.count(name), "{}.load_state: unknown entry '{}' (a state from another optimizer or model?)",
                 name_, name);

  lr_ = lr;
  steps_ = steps;
  states_ = std::move(loaded);
}

}  // namespace aafgan::optim
