#pragma once
// defines: unary_forward, unary_backward
//
// CUDA kernels of the engine's one-input pointwise maps: the elementary maps of
// engine/ops/pointwise.cpp (sqrt, exp, log, log1p, softplus, abs, square, clamp) and the fixed
// activations of engine/ops/activation.cpp (relu, leaky_relu, sigmoid, tanh), forward and
// backward. Each element is computed by the very functions the CPU loops call
// (kernels/math/pointwise.h); results agree with the CPU to the
// rounding of the elementary functions (exp, log, tanh, … are not the same code on both devices;
// relu, leaky_relu, abs, clamp and square give the same bits).
//
// No CUDA headers; device pointers; work on `stream` (nullptr = default stream), nothing
// synchronises; n at most 2^31 − 1; failures throw std::runtime_error naming the kernel and n.
#include <cstdint>

#include "kernels/math/pointwise.h"

namespace aafgan::kernels::cuda {

// y = f(x). The scalars, rounded to T as the CPU does: clamp's bounds (a = lo, b = hi; lo ≤ hi is
// the caller's check) and leaky_relu's negative slope (a); the other maps ignore them. y may be x.
template <typename T>
void unary_forward(UnaryOp op, const T* x, T* y, int64_t n, double a, double b,
                        void* stream);

// gx = f'(·)·g from `saved` (x or y, see unary_backward_uses_output) and the upstream gradient g.
// gx may be g.
template <typename T>
void unary_backward(UnaryOp op, const T* saved, const T* g, T* gx, int64_t n, double a, double b,
                         void* stream);

extern template void unary_forward<float>(UnaryOp, const float*, float*, int64_t, double, double, void*);
extern template void unary_forward<double>(UnaryOp, const double*, double*, int64_t, double, double, void*);
extern template void unary_backward<float>(UnaryOp, const float*, const float*, float*, int64_t, double, double,
                                                void*);
extern template void unary_backward<double>(UnaryOp, const double*, const double*, double*, int64_t, double,
                                                 double, void*);

}  // namespace aafgan::kernels::cuda
