#pragma once
// The adaptive activations of docs/activations.md as fused engine ops: one pass forward, one
// pass backward giving the input gradient and every parameter gradient reduced over the batch.
#include <string>
#include <vector>

#include "engine/tensor.h"
#include "kernels/math/activations.h"

namespace aafgan {

using Act = kernels::Act;
using Range = kernels::Range;

// The CLI/config spelling, exactly: BHSA, BHAA, BHATA, BHANA, DSILU, SHReLU, Mish, MiDA.
// Anything else throws an Error listing the valid names.
Act parse_act(const std::string& name);
// "unit" (0,1) or "sym" (−1,1).
Range parse_range(const std::string& name);

// How parameters of shape `param` map onto an input of shape `x` (see kernels/cpu/activations.h):
// element i of x uses parameter slot (i / inner) % P.
struct ActLayout {
  int64_t P = 1;
  int64_t inner = 1;
  bool per_channel = false;
};
// Per-feature: param == x.drop_front() (one value per feature: [n] after Linear, [C,H,W] on
// images). Per-channel: param == [C] for x [N,C,H,W]. Otherwise an Error naming the activation
// and both shapes.
ActLayout adaptive_layout(Act act, Range range, const Shape& x, const Shape& param);

// y = f(x; params), params in the order of kernels::act_param_name (λ, τ / λ, τ1, τ2 / β / τ),
// all of one shape, dtype and device with x. Mish takes none.
Tensor adaptive_activation(Act act, Range range, const Tensor& x, const std::vector<Tensor>& params);

inline Tensor mish(const Tensor& x) { return adaptive_activation(Act::Mish, Range::sym, x, {}); }

}  // namespace aafgan
