// linear and matmul on the GEMM kernel.
#include "engine/autograd.h"
#include "engine/device.h"
#include "engine/ops.h"
#include "kernels/cpu/broadcast.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cuda/blas.h"
#include "kernels/cuda/elementwise.h"

namespace aafgan {

namespace {

// C = alpha·op(A)·op(B) + beta·C on the operands' device (cuBLAS on a GPU; both run on the
// device's one stream, so nothing waits).
template <typename T>
void gemm(const Device& device, bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
          const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  if (device.is_cuda()) {
    cuda_stream(device);  // makes the device current; cuBLAS runs on its stream
    kernels::cuda::gemm<T>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  } else {
    kernels::cpu::gemm<T>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
}

// C[M,N] = op(A)·op(B), a fresh tensor.
Tensor gemm_new(const Tensor& a, bool ta, const Tensor& b, bool tb, int64_t m, int64_t n, int64_t k) {
  Tensor c = Tensor::empty(Shape{m, n}, a.dtype(), a.device());
  dispatch(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    gemm<T>(a.device(), ta, tb, m, n, k, T(1), a.data<T>(), a.size(1), b.data<T>(), b.size(1), T(0), c.data<T>(), n);
  });
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
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* py = y.data<T>();
    if (x.device().is_cuda()) {
      gemm<T>(x.device(), false, true, n, out_f, in, T(1), x.data<T>(), in, weight.data<T>(), in, T(0), py, out_f);
      if (bias.defined()) {  // y += bias over the rows, in place
        const int64_t ys[2] = {n, out_f}, bs[1] = {out_f};
        const auto bi = kernels::cpu::make_broadcast_index(2, ys, 2, ys, 1, bs);
        kernels::cuda::binary_cuda<T>(kernels::cuda::BinaryOp::add, py, bias.data<T>(), py, bi,
                                      cuda_stream(x.device()));
      }
      return;
    }
    T beta = T(0);
    if (bias.defined()) {
      const T* pb = bias.data<T>();
      for (int64_t r = 0; r < n; ++r)
        for (int64_t j = 0; j < out_f; ++j) py[r * out_f + j] = pb[j];
      beta = T(1);
    }
    kernels::cpu::gemm<T>(false, true, n, out_f, in, T(1), x.data<T>(), in, weight.data<T>(), in, beta, py, out_f);
  });
  autograd::record("linear", {x, weight, bias}, y, [x, weight, n, in, out_f](const Tensor& g, autograd::Grads& grads) {
    if (grads.needs(0)) grads.set(0, gemm_new(g, false, weight, false, n, in, out_f));      // g·W
    if (grads.needs(1)) grads.set(1, gemm_new(g, true, x, false, out_f, in, n));            // gᵀ·x
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
  Tensor c = gemm_new(a, false, b, false, m, n, k);
  autograd::record("matmul", {a, b}, c, [a, b, m, n, k](const Tensor& g, autograd::Grads& grads) {
    if (grads.needs(0)) grads.set(0, gemm_new(g, false, b, true, m, k, n));  // g·Bᵀ
    if (grads.needs(1)) grads.set(1, gemm_new(a, true, g, false, k, n, m));  // Aᵀ·g
  });
  return c;
}

}  // namespace aafgan
