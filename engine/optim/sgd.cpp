#include "engine/optim/sgd.h"

#include "engine/autograd.h"
#include "engine/backend.h"
#include "kernels/math/optim.h"

namespace aafgan::optim {

SGD::SGD(std::vector<Tensor> params, SgdOptions opt)
    : Optimizer("SGD", std::move(params), opt.lr, {"momentum_buffer"}, /*buffers_optional=*/true), opt_(opt) {
  AAFGAN_CHECK(opt.momentum >= 0, "SGD: invalid momentum {}", opt.momentum);
  AAFGAN_CHECK(opt.weight_decay >= 0, "SGD: invalid weight_decay {}", opt.weight_decay);
  AAFGAN_CHECK(!opt.nesterov || (opt.momentum > 0 && opt.dampening == 0),
               "SGD: Nesterov momentum requires a momentum > 0 and zero dampening (got momentum {}, dampening {})",
               opt.momentum, opt.dampening);
}

void SGD::step() {
  autograd::NoGradGuard no_grad;
  count_step();
  const bool with_momentum = opt_.momentum != 0;
  for (size_t i = 0; i < params().size(); ++i) {
    if (!has_grad(i)) continue;
    const Tensor& p = params()[i];
    const Tensor g = checked_grad(i);
    // Its coefficients are kernel arguments: a graph would replay the first step's forever.
    AAFGAN_CHECK(!backend::capturing(p.device()), "SGD: its step cannot be captured into a CUDA graph (Adam's can)");
    ++param_step(i);
    const bool first = with_momentum && !has_buffer(i, 0);
    Tensor buf = with_momentum ? buffer(i, 0) : Tensor();
    dispatch(p.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const kernels::SgdCoeffs<T> c{T(-lr()), T(opt_.momentum), T(1.0 - opt_.dampening), T(opt_.weight_decay),
                                    opt_.nesterov, first};
      backend::sgd_step<T>(p, g, buf, c);
    });
  }
}

}  // namespace aafgan::optim
