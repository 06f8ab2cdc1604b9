#include "engine/optim/adam.h"

#include <cmath>
#include <cstring>
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

Adam::~Adam() = default;

template <typename T>
kernels::AdamCoeffs<T> Adam::coeffs(int64_t step) const {
  const double t = static_cast<double>(step);
  const double bias_correction1 = 1.0 - std::pow(opt_.beta1, t);
  const double bias_correction2 = 1.0 - std::pow(opt_.beta2, t);
  const double step_size = lr() / bias_correction1;
  return kernels::AdamCoeffs<T>{T(opt_.beta1),        T(1.0 - opt_.beta1),
                                T(opt_.beta2),        T(1.0 - opt_.beta2),
                                T(opt_.weight_decay), T(std::sqrt(bias_correction2)),
                                T(opt_.eps),          T(-step_size)};
}

void Adam::step() {
  autograd::NoGradGuard no_grad;
  std::vector<size_t> stepped;
  Device device;
  for (size_t i = 0; i < params().size(); ++i) {
    if (!has_grad(i)) continue;
    const Tensor& p = params()[i];
    AAFGAN_CHECK(stepped.empty() || device == p.device(), "Adam: parameters on {} and {}", device.str(),
                 p.device().str());
    device = p.device();
    stepped.push_back(i);
  }
  const bool capturing = !stepped.empty() && backend::capturing(device);
  // Room for the widest coefficients (f64) of every stepped parameter, for a capture. Reserved by
  // the eager steps, so that a capture allocates nothing that must outlive it.
  const size_t coeff_bytes = stepped.size() * sizeof(kernels::AdamCoeffs<double>);
  if (device.is_cuda() && (!coeffs_at_ || coeffs_at_->bytes() < coeff_bytes || coeffs_at_->device() != device))
    coeffs_at_ = std::make_unique<backend::Buffer>(device, coeff_bytes);
  if (capturing) {
    AAFGAN_CHECK(captured_.empty(), "Adam: a second step() in one CUDA graph capture (one step per replay)");
    captured_ = stepped;
  } else {
    count_step();
  }
  // The parameters of one dtype are updated by one multi-tensor call (one launch on a GPU).
  std::vector<kernels::AdamTensor<float>> f32;
  std::vector<kernels::AdamTensor<double>> f64;
  for (size_t k = 0; k < stepped.size(); ++k) {
    const size_t i = stepped[k];
    const Tensor& p = params()[i];
    const Tensor g = checked_grad(i);
    // A replay must find its state: a buffer created now would be zeroed at every replay.
    AAFGAN_CHECK(!capturing || (has_buffer(i, 0) && has_buffer(i, 1)),
                 "Adam: parameter {} has no state yet; an eager step must run before a CUDA graph capture", i);
    Tensor& exp_avg = buffer(i, 0);
    Tensor& exp_avg_sq = buffer(i, 1);
    dispatch(p.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      kernels::AdamTensor<T> a{p.data<T>(), g.data<T>(), exp_avg.data<T>(), exp_avg_sq.data<T>(), p.numel(), {}};
      if (capturing)
        a.coeffs_at =
            reinterpret_cast<const kernels::AdamCoeffs<T>*>(coeffs_at_->as<kernels::AdamCoeffs<double>>() + k);
      else
        a.coeffs = coeffs<T>(++param_step(i));
      if constexpr (std::is_same_v<T, float>) f32.push_back(a); else f64.push_back(a);
    });
  }
  backend::adam_step_multi<float>(device, f32);
  backend::adam_step_multi<double>(device, f64);
}

void Adam::before_replay() {
  if (captured_.empty()) return;
  count_step();
  // Slot k holds parameter captured_[k]'s coefficients in its own dtype (slots are f64-sized).
  std::vector<kernels::AdamCoeffs<double>> slots(captured_.size());
  for (size_t k = 0; k < captured_.size(); ++k) {
    const size_t i = captured_[k];
    const int64_t t = ++param_step(i);
    if (params()[i].dtype() == DType::f64) {
      slots[k] = coeffs<double>(t);
    } else {
      const kernels::AdamCoeffs<float> c = coeffs<float>(t);
      std::memcpy(&slots[k], &c, sizeof(c));
    }
  }
  if (!stager_) stager_ = std::make_unique<HostStager>();
  stager_->upload(coeffs_at_->get(), coeffs_at_->device(), slots.data(), slots.size() * sizeof(slots[0]));
}

void Adam::end_replays() { captured_.clear(); }

}  // namespace aafgan::optim
