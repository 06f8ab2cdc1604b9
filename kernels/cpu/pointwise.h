#pragma once
// defines: unary_forward, unary_backward
//
// CPU twins of kernels/cuda/pointwise.h: the one-input maps of kernels/math/pointwise.h
// (sqrt, exp, log, log1p, softplus, abs, square, clamp, relu, leaky_relu, sigmoid, tanh),
// forward and backward. Host pointers.
#include <cstdint>

#include "kernels/math/pointwise.h"

namespace aafgan::kernels::cpu {

// y = f(x). a, b: clamp's bounds (lo, hi) or leaky_relu's slope (a), rounded to T; the other
// maps ignore them. y may be x.
template <typename T>
void unary_forward(UnaryOp op, const T* x, T* y, int64_t n, double a = 0.0, double b = 0.0);

// gx = f'(·)·g from `saved` (x or y, as unary_backward_uses_output(op) says). gx may be g.
template <typename T>
void unary_backward(UnaryOp op, const T* saved, const T* g, T* gx, int64_t n, double a = 0.0, double b = 0.0);

}  // namespace aafgan::kernels::cpu
