#include "engine/optim/adam.h"

#include <cmath>
#include <type_traits>
#include <vector>

#include "engine/autograd.h"
#include "engine/backend.h"
#include "kernels/math/optim.h"

namespace aafgan::optim {

Adam::Adam(std::vector<Tensor> params, AdamOptions opt)
    : Optimizer("Adam", std::move(params), opt.lr, {"exp_avg", "exp_avg_sq"}), opt_(opt) {
  AAFGAN_CHECK(opt.eps >= 0, "Adam: invalid eps {}", opt.eps);
  AAFGAN_CHECK(opt.beta1 >= 0 && opt.beta1 < 1, "Adam: invalid beta1 {} (must be in [0, 1))", opt.beta1);
  AAFGAN_CHECK(opt.beta2 >= 0 && opt.beta2 < 1, "Adam: invalid beta2 {} (must be in [0, 1))", opt.beta2);
  AAFGAN_CHECK(opt.weight_decay >= 0, "Adam: invalid weight_decay {}", opt.weight_decay);
}

void Adam::step() {
  autograd::NoGradGuard no_grad;
  count_step();
  // The parameters of one dtype are updated by one multi-tensor call (one launch on a GPU).
  std::vector<kernels::AdamTensor<float>> f32;
  std::vector<kernels::AdamTensor<double>> f64;
  Device device;
  bool any = false;
  for (size_t i = 0; i < params().size(); ++i) {
    if (!has_grad(i)) continue;
    const Tensor& p = params()[i];
    const Tensor g = checked_grad(i);
    AAFGAN_CHECK(!any || device == p.device(), "Adam: parameters on {} and {}", device.str(), p.device().str());
    device = p.device();
    any = true;
    const double t = static_cast<double>(++param_step(i));
    const double bias_correction1 = 1.0 - std::pow(opt_.beta1, t);
    const double bias_correction2 = 1.0 - std::pow(opt_.beta2, t);
    const double step_size = lr() / bias_correction1;
    Tensor& exp_avg = buffer(i, 0);
    Tensor& exp_avg_sq = buffer(i, 1);
    dispatch(p.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const kernels::AdamCoeffs<T> c{T(opt_.beta1),        T(1.0 - opt_.beta1),
                                     T(opt_.beta2),        T(1.0 - opt_.beta2),
                                     T(opt_.weight_decay), T(std::sqrt(bias_correction2)),
                                     T(opt_.eps),          T(-step_size)};
      auto& list = [&]() -> std::vector<kernels::AdamTensor<T>>& {
        if constexpr (std::is_same_v<T, float>) return f32; else return f64;
      }();
      list.push_back({p.data<T>(), g.data<T>(), exp_avg.data<T>(), exp_avg_sq.data<T>(), p.numel(), c});
    });
  }
  backend::adam_step_multi<float>(device, f32);
  backend::adam_step_multi<double>(device, f64);
}

}  // namespace aafgan::optim
