#pragma once
// Differentiable ops. Each computes its forward on the tensors' device and, when grad mode
// is on and an input requires a gradient, records its backward on the tape.
#include <vector>

#include "engine/random.h"
#include "engine/tensor.h"

namespace aafgan {

// --- elementwise arithmetic with NumPy broadcasting (trailing dimensions align) ---------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
// y = scale·x + shift: every tensor-scalar operator below reduces to this.
Tensor affine(const Tensor& x, double scale, double shift);
// y = s / x
Tensor rdiv(double s, const Tensor& x);

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator+(const Tensor& a, double s) { return affine(a, 1.0, s); }
inline Tensor operator+(double s, const Tensor& a) { return affine(a, 1.0, s); }
inline Tensor operator-(const Tensor& a, double s) { return affine(a, 1.0, -s); }
inline Tensor operator-(double s, const Tensor& a) { return affine(a, -1.0, s); }
inline Tensor operator*(const Tensor& a, double s) { return affine(a, s, 0.0); }
inline Tensor operator*(double s, const Tensor& a) { return affine(a, s, 0.0); }
inline Tensor operator/(const Tensor& a, double s) { return affine(a, 1.0 / s, 0.0); }
inline Tensor operator/(double s, const Tensor& a) { return rdiv(s, a); }
inline Tensor operator-(const Tensor& a) { return affine(a, -1.0, 0.0); }

// The broadcast result shape of a and b, or an error naming both.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);
// Sums g down to `target` over the dimensions broadcasting expanded (backward of broadcast).
Tensor sum_to(const Tensor& g, const Shape& target);

// --- reductions and shapes --------------------------------------------------------------
Tensor sum(const Tensor& x);  // all elements, 0-d result
Tensor mean(const Tensor& x);
Tensor sum(const Tensor& x, int dim, bool keepdim = false);
Tensor mean(const Tensor& x, int dim, bool keepdim = false);
// A view with the same elements; one dimension may be -1.
Tensor reshape(const Tensor& x, const std::vector<int64_t>& shape);
Tensor concat(const std::vector<Tensor>& xs, int dim);

// --- layers' maths -----------------------------------------------------------------------
// x [N, in], weight [out, in], bias [out] or undefined: y = x·weightᵀ + bias.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);
// a [M, K] · b [K, N].
Tensor matmul(const Tensor& a, const Tensor& b);

struct Conv2dParams {
  int stride_h = 1, stride_w = 1;
  int pad_h = 0, pad_w = 0;
  // ConvTranspose only: extra rows/columns on the bottom/right of the output.
  int output_pad_h = 0, output_pad_w = 0;
};
// x [N, Cin, H, W], weight [Cout, Cin, kH, kW], bias [Cout] or undefined.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p);
// x [N, Cin, H, W], weight [Cin, Cout, kH, kW] (PyTorch's layout), bias [Cout] or undefined.
// Output size: (H − 1)·stride − 2·pad + kH + output_pad.
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p);

// Batch normalisation over N, H, W per channel of x [N, C, H, W] (or [N, C]). In training it
// normalises with the batch statistics and updates the running ones in place
// (running = (1 − momentum)·running + momentum·batch, unbiased batch variance, as PyTorch);
// in eval it uses the running statistics. weight/bias [C] may be undefined (no affine). In
// training both running tensors may be undefined (statistics not tracked); eval needs them.
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                  Tensor& running_var, bool training, double momentum = 0.1, double eps = 1e-5);

// x [N, C, H, W]; window k×k, stride s (0 means s = k), floor mode. `padding` (at most k/2, as
// PyTorch) widens the input on every side with cells that never win a window.
Tensor max_pool2d(const Tensor& x, int kernel, int stride = 0, int padding = 0);

// --- activations and regularisation -------------------------------------------------------
Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
// Zeroes each element with probability p and scales the rest by 1/(1 − p) when training;
// the identity otherwise. The mask comes from `gen`.
Tensor dropout(const Tensor& x, double p, bool training, Generator& gen);

// --- losses ---------------------------------------------------------------------------------
// mean(−(t·log p + (1 − t)·log(1 − p))) with each log clamped at −100, as PyTorch. The shapes
// must be equal: broadcasting a [N] target over [N,1] predictions is a classic silent bug.
Tensor binary_cross_entropy(const Tensor& p, const Tensor& target);
// Along dimension 1 of x [N, C].
Tensor log_softmax(const Tensor& x);
// mean over the batch of −logp[i, label_i]; labels [N] holds class indices as values.
Tensor nll_loss(const Tensor& logp, const Tensor& labels);

}  // namespace aafgan
