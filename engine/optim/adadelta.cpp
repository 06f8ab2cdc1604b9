#include "engine/optim/adadelta.h"

#include "engine/autograd.h"
#include "engine/backend.h"
#include "kernels/math/optim.h"

namespace aafgan::optim {

Adadelta::Adadelta(std::vector<Tensor> params, AdadeltaOptions opt)
    : Optimizer("Adadelta", std::move(params), opt.lr, {"square_avg", "acc_delta"}), opt_(opt) {
  AAFGAN_CHECK(opt.rho >= 0 && opt.rho <= 1, "Adadelta: invalid rho {} (must be in [0, 1])", opt.rho);
  AAFGAN_CHECK(opt.eps >= 0, "Adadelta: invalid eps {}", opt.eps);
  AAFGAN_CHECK(opt.weight_decay >= 0, "Adadelta: invalid weight_decay {}", opt.weight_decay);
}

void Adadelta::step() {
  autograd::NoGradGuard no_grad;
  count_step();
  for (size_t i = 0; i < params().size(); ++i) {
    if (!has_grad(i)) continue;
    const Tensor& p = params()[i];
    const Tensor g = checked_grad(i);
    // Its coefficients are kernel arguments: a graph would replay the first step's forever.
    AAFGAN_CHECK(!backend::capturing(p.device()), "Adadelta: its step cannot be captured into a CUDA graph (Adam's can)");
    ++param_step(i);
    Tensor& square_avg = buffer(i, 0);
    Tensor& acc_delta = buffer(i, 1);
    dispatch(p.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const kernels::AdadeltaCoeffs<T> c{T(opt_.rho), T(1.0 - opt_.rho), T(opt_.eps), T(opt_.weight_decay), T(-lr())};
      backend::adadelta_step<T>(p, g, square_avg, acc_delta, c);
    });
  }
}

}  // namespace aafgan::optim
