// linear and matmul on the GEMM kernel (kernels/cpu/gemm.h: OpenBLAS or Eigen; cuBLAS on a GPU).
#include "engine/autograd.h"
#include "engine/backend.h"
#include "engine/ops.h"

namespace aafgan {

namespace {

// C[m, n] = op(A)·op(B), a fresh tensor.
Tensor gemm_new(const Tensor& a, bool ta, const Tensor& b, bool tb, int64_t m, int64_t n) {
  Tensor c = Tensor::empty(Shape{m, n}, a.dtype(), a.device());
  backend::gemm(ta, tb, 1.0, a, b, 0.0, c);
  return c;
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  AAFGAN_CHECK(x.ndim() == 2 && weight.ndim() == 2 && x.size(1) == weight.size(1),
               "linear: input {} does not fit weight {} (expected [N, in] and [out, in])", x.str(), weight.str());
  check_same_dtype("linear", x, weight);
  check_same_device("linear", x, weight);
  const int64_t n = x.size(0), in = x.size(1), out_f = weight.size(0);
  if (bias.defined()) {
    AAFGAN_CHECK(bias.ndim() == 1 && bias.size(0) == out_f, "linear: bias {} does not fit weight {}", bias.str(),
                 weight.str());
    check_same_dtype("linear", x, bias);
    check_same_device("linear", x, bias);
  }
  Tensor y = Tensor::empty(Shape{n, out_f}, x.dtype(), x.device());
  // With a bias the rows start as copies of it and the GEMM adds x·Wᵀ (beta = 1): one pass over
  // y fewer than adding the bias afterwards.
  if (bias.defined()) backend::expand_dim(bias, y, 1, n, out_f);
  backend::gemm(false, true, 1.0, x, weight, bias.defined() ? 1.0 : 0.0, y);
  autograd::record("linear", {x, weight, bias}, y, [x, weight, n, in, out_f](const Tensor& g, autograd::Grads& grads) {
    if (grads.needs(0)) grads.set(0, gemm_new(g, false, weight, false, n, in));  // g·W
    if (grads.needs(1)) grads.set(1, gemm_new(g, true, x, false, out_f, in));    // gᵀ·x
    if (grads.needs(2)) grads.set(2, sum(g, 0));
  });
  return y;
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  AAFGAN_CHECK(a.ndim() == 2 && b.ndim() == 2 && a.size(1) == b.size(0), "matmul: {} and {} do not chain", a.str(),
               b.str());
  check_same_dtype("matmul", a, b);
  check_same_device("matmul", a, b);
  const int64_t m = a.size(0), k = a.size(1), n = b.size(1);
  Tensor c = gemm_new(a, false, b, false, m, n);
  autograd::record("matmul", {a, b}, c, [a, b, m, n, k](const Tensor& g, autograd::Grads& grads) {
    if (grads.needs(0)) grads.set(0, gemm_new(g, false, b, true, m, k));  // g·Bᵀ
    if (grads.needs(1)) grads.set(1, gemm_new(a, true, g, false, k, n));  // Aᵀ·g
  });
  return c;
}

}  // namespace aafgan
