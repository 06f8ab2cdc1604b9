#pragma once
// Elementary differentiable maps, one element at a time (math in kernels/math/pointwise.h).
// They exist so that any formula can be written as a composition of recorded primitives: the
// unfused reference the fused adaptive activations are benchmarked against, and a building
// block for losses and metrics.
#include "engine/tensor.h"

namespace aafgan {

Tensor sqrt(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
// log(1 + exp(x)) without overflow (x for x > 20).
Tensor softplus(const Tensor& x);
// Subgradient 0 at x = 0.
Tensor abs(const Tensor& x);
Tensor square(const Tensor& x);
// min(max(x, lo), hi); zero gradient where the clamp is active (lo ≤ hi required).
Tensor clamp(const Tensor& x, double lo, double hi);

}  // namespace aafgan
