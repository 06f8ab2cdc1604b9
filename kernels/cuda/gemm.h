#pragma once
// defines: gemm
//
// cuBLAS GEMM with the semantics and argument order of kernels/cpu/gemm.h: row-major
// C = alpha·op(A)·op(B) + beta·C, where op transposes when asked; A is M×K after op, B is
// K×N after op, C is M×N; lda, ldb, ldc are the row strides of the matrices as stored
// (lda ≥ K, or M when A is transposed; ldb ≥ N, or K when B is transposed; ldc ≥ N).
// beta = 0 overwrites C without reading it. K = 0 gives C = beta·C (0 when beta is 0).
//
// a, b, c are device pointers. The product runs on the current device's context stream with
// its cuBLAS handle (device_context.h), asynchronously; TF32 follows set_allow_tf32 (float32
// only). Sizes and strides must fit in int (cuBLAS's 32-bit API), else the call throws.
// Failures throw std::runtime_error naming cuBLAS's call, the sizes and cuBLAS's message.
// There is no batched variant because kernels/cpu/gemm.h has none.
#include <cstdint>

namespace aafgan::kernels::cuda {

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
          const T* b, int64_t ldb, T beta, T* c, int64_t ldc);

extern template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*,
                                 int64_t, float, float*, int64_t);
extern template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                                  const double*, int64_t, double, double*, int64_t);

}  // namespace aafgan::kernels::cuda
