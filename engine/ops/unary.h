#pragma once
// The one shape of every one-input map (the elementary maps of pointwise.h and the fixed
// activations of ops.h): y = f(x) by backend::unary_forward, and a backward from the saved x or
// y, whichever kernels::unary_backward_uses_output names. A new map is a UnaryOp (with its
// formulas and name, kernels/math/pointwise.h), a case in kernels/cuda/pointwise.cu's switch,
// and a one-line engine function calling this.
#include "engine/tensor.h"
#include "kernels/math/pointwise.h"

namespace aafgan::detail {

// a, b: clamp's bounds or leaky_relu's slope.
Tensor unary(kernels::UnaryOp op, const Tensor& x, double a = 0.0, double b = 0.0);

}  // namespace aafgan::detail
