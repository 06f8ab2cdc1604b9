// The fused adaptive-activation op: validation, layout, and the tape record around the
// kernels of kernels/cpu/activations.h.
#include "engine/ops/adaptive.h"

#include <fmt/format.h>

#include "engine/autograd.h"
#include "engine/device.h"
#include "kernels/cpu/activations.h"
#include "kernels/cuda/activations.h"
#include "kernels/cuda/device_allocator.h"

namespace aafgan {

namespace {

constexpr Act kAllActs[] = {Act::BHSA, Act::BHAA, Act::BHATA, Act::BHANA,
                            Act::DSILU, Act::SHReLU, Act::Mish, Act::MiDA};

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

// Raw pointers of each parameter, in the form the kernels take.
template <typename T>
std::vector<const T*> param_ptrs(const std::vector<Tensor>& params) {
  std::vector<const T*> out;
  for (const Tensor& p : params) out.push_back(p.data<T>());
  return out;
}

// The device switch: the fused CPU loops or the CUDA kernels, with the same layout and math.
void forward_impl(Act act, Range range, const Tensor& x, Tensor& y, const std::vector<Tensor>& params,
                  const ActLayout& lay) {
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const std::vector<const T*> pp = param_ptrs<T>(params);
    if (x.device().is_cuda()) {
      kernels::cuda::act_forward_cuda<T>(act, range, x.data<T>(), y.data<T>(), x.numel(),
                                         pp.empty() ? nullptr : pp.data(), lay.P, lay.inner, cuda_stream(x.device()));
      return;
    }
    kernels::cpu::act_forward_cpu<T>(act, range, x.data<T>(), y.data<T>(), x.numel(), pp.data(), lay.P, lay.inner);
  });
}

void backward_impl(Act act, Range range, const Tensor& x, const Tensor& gy, Tensor* gx,
                   const std::vector<Tensor>& params, std::vector<Tensor>& gparams, const ActLayout& lay) {
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const std::vector<const T*> pp = param_ptrs<T>(params);
    std::vector<T*> gp;
    for (Tensor& g : gparams) gp.push_back(g.defined() ? g.data<T>() : nullptr);
    if (x.device().is_cuda()) {
      // The parameter-gradient partial sums live in scratch that the kernels use on this stream only.
      kernels::cuda::CachedBuffer workspace(
          kernels::cuda::act_backward_workspace_bytes(act, x.numel(), lay.P, lay.inner, sizeof(T)));
      kernels::cuda::act_backward_cuda<T>(act, range, x.data<T>(), gy.data<T>(), gx ? gx->data<T>() : nullptr,
                                          gp.empty() ? nullptr : gp.data(), x.numel(),
                                          pp.empty() ? nullptr : pp.data(), lay.P, lay.inner, workspace.get(),
                                          workspace.bytes(), cuda_stream(x.device()));
      return;
    }
    kernels::cpu::act_backward_cpu<T>(act, range, x.data<T>(), gy.data<T>(), gx ? gx->data<T>() : nullptr,
                                      gp.data(), x.numel(), pp.data(), lay.P, lay.inner);
  });
}

}  // namespace

Act parse_act(const std::string& name) {
  std::string valid;
  for (Act a : kAllActs) {
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
  forward_impl(act, range, x, y, params, lay);

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
                     backward_impl(act, range, x, g, gx.defined() ? &gx : nullptr, params, gparams, lay);
                     if (gx.defined()) grads.set(0, gx);
                     for (size_t k = 0; k < params.size(); ++k)
                       if (gparams[k].defined()) grads.set(k + 1, gparams[k]);
                   });
  return y;
}

}  // namespace aafgan
