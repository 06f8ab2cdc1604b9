// The fused adaptive-activation op: validation, layout, and the tape record around the
// kernels of kernels/cpu/activations.h and kernels/cuda/activations.h.
#include "engine/ops/adaptive.h"

#include <fmt/format.h>

#include "engine/autograd.h"
#include "engine/backend.h"

namespace aafgan {

namespace {

std::string act_label(Act act, Range range) {
  if (!kernels::act_uses_range(act)) return kernels::act_name(act);
  return fmt::format("{} ({})", kernels::act_name(act), kernels::range_name(range));
}

std::string param_names(Act act) {
  std::string s;
  for (int k = 0; k < kernels::act_param_count(act); ++k)
    s += (k ? ", " : "") + std::string(kernels::act_param_name(act, k));
  return s.empty() ? "none" : s;
}

}  // namespace

Act parse_act(const std::string& name) {
  std::string valid;
  for (Act a : kernels::kAllActs) {
    if (name == kernels::act_name(a)) return a;
    valid += (valid.empty() ? "" : ", ") + std::string(kernels::act_name(a));
  }
  fail("unknown activation '{}': valid names are {}", name, valid);
}

Range parse_range(const std::string& name) {
  if (name == "unit") return Range::unit;
  if (name == "sym") return Range::sym;
  fail("unknown activation range '{}': valid names are unit, sym", name);
}

ActLayout adaptive_layout(Act act, Range range, const Shape& x, const Shape& param) {
  ActLayout lay;
  AAFGAN_CHECK(x.ndim() >= 1, "{}: the input {} needs a batch dimension", act_label(act, range), x.str());
  if (param == x.drop_front()) {
    lay.P = param.numel();
    return lay;
  }
  if (x.ndim() == 4 && param.ndim() == 1 && param[0] == x[1]) {
    lay.P = x[1];
    lay.inner = x[2] * x[3];
    lay.per_channel = true;
    return lay;
  }
  const std::string per_channel = x.ndim() == 4 ? fmt::format(" or [{}] (one per channel)", x[1]) : "";
  fail("{}: parameter shape {} does not fit the input shape {}: expected {} (one per feature){}",
       act_label(act, range), param.str(), x.str(), x.drop_front().str(), per_channel);
}

Tensor adaptive_activation(Act act, Range range, const Tensor& x, const std::vector<Tensor>& params) {
  const std::string label = act_label(act, range);
  const int np = kernels::act_param_count(act);
  AAFGAN_CHECK(x.defined(), "{}: the input is an undefined tensor", label);
  AAFGAN_CHECK(static_cast<int>(params.size()) == np, "{}: expects {} parameter tensors ({}), got {}", label, np,
               param_names(act), params.size());
  ActLayout lay;
  for (int k = 0; k < np; ++k) {
    const Tensor& p = params[static_cast<size_t>(k)];
    const char* pname = kernels::act_param_name(act, k);
    AAFGAN_CHECK(p.defined(), "{}: parameter '{}' is an undefined tensor", label, pname);
    AAFGAN_CHECK(p.dtype() == x.dtype(), "{}: parameter '{}' is {} but the input is {}", label, pname, p.str(),
                 x.str());
    AAFGAN_CHECK(p.device() == x.device(), "{}: parameter '{}' is {} but the input is {}", label, pname, p.str(),
                 x.str());
    AAFGAN_CHECK(p.shape() == params[0].shape(), "{}: parameters '{}' {} and '{}' {} differ in shape", label,
                 kernels::act_param_name(act, 0), params[0].shape().str(), pname, p.shape().str());
    if (k == 0) lay = adaptive_layout(act, range, x.shape(), p.shape());
  }

  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  backend::act_forward(act, range, x, y, params, lay.P, lay.inner);

  std::vector<Tensor> inputs{x};
  inputs.insert(inputs.end(), params.begin(), params.end());
  autograd::record(kernels::act_name(act), inputs, y,
                   [act, range, x, params, lay](const Tensor& g, autograd::Grads& grads) {
                     Tensor gx;
                     if (grads.needs(0)) gx = Tensor::empty(x.shape(), x.dtype(), x.device());
                     std::vector<Tensor> gparams(params.size());
                     for (size_t k = 0; k < params.size(); ++k)
                       if (grads.needs(k + 1))
                         gparams[k] = Tensor::empty(params[k].shape(), params[k].dtype(), params[k].device());
                     backend::act_backward(act, range, x, g, gx, params, gparams, lay.P, lay.inner);
                     if (gx.defined()) grads.set(0, gx);
                     for (size_t k = 0; k < params.size(); ++k)
                       if (gparams[k].defined()) grads.set(k + 1, gparams[k]);
                   });
  return y;
}

}  // namespace aafgan
