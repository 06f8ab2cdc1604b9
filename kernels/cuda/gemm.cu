// Row-major GEMM on cuBLAS's column-major one. A row-major M×N matrix with row stride ld is,
// read column-major, its N×M transpose with leading dimension ld; so C = op(A)·op(B) in
// row-major is Cᵀ = op(B)ᵀ·op(A)ᵀ in column-major, i.e. cuBLAS's gemm with the operands
// swapped, the same transpose flags, and m and n swapped.
#include <string>
#include <type_traits>

#include "kernels/cuda/gemm.h"
#include "kernels/cuda/runtime_libs_internal.h"

namespace aafgan::kernels::cuda {

namespace {

using detail::check_cublas;
using detail::to_int;

// C (m×n, row stride ldc) = beta·C, with beta = 0 writing zeros without reading C.
template <typename T>
__global__ void scale_rows_kernel(T* c, int64_t m, int64_t n, int64_t ldc, T beta) {
  const int64_t total = m * n;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    T* p = c + (i / n) * ldc + i % n;
    *p = beta == T(0) ? T(0) : beta * *p;
  }
}

cublasStatus_t gemm_call(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                         const float* alpha, const float* a, int lda, const float* b, int ldb, const float* beta,
                         float* c, int ldc) {
  return cublasSgemm(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

cublasStatus_t gemm_call(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                         const double* alpha, const double* a, int lda, const double* b, int ldb, const double* beta,
                         double* c, int ldc) {
  return cublasDgemm(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
          const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  const char* name = std::is_same_v<T, float> ? "cublasSgemm" : "cublasDgemm";
  const auto describe = [&] {
    return std::string("row-major C[") + std::to_string(m) + "x" + std::to_string(n) + "] = " +
           (trans_a ? "A^T" : "A") + "[" + std::to_string(m) + "x" + std::to_string(k) + "] * " +
           (trans_b ? "B^T" : "B") + "[" + std::to_string(k) + "x" + std::to_string(n) + "], lda " +
           std::to_string(lda) + " ldb " + std::to_string(ldb) + " ldc " + std::to_string(ldc) +
           (std::is_same_v<T, float> ? ", float32" : ", float64");
  };
  if (m < 0 || n < 0 || k < 0) throw std::runtime_error("gemm: negative size in " + describe());
  if (m == 0 || n == 0) return;
  const int64_t a_cols = trans_a ? m : k, b_cols = trans_b ? k : n;
  if (ldc < n || (k > 0 && (lda < a_cols || ldb < b_cols)))
    throw std::runtime_error("gemm: a row stride is smaller than its row in " + describe());
  const std::string ctx = "gemm " + describe();
  const int im = to_int(m, "m", ctx), in = to_int(n, "n", ctx), ik = to_int(k, "k", ctx);
  const int ilda = to_int(lda, "lda", ctx), ildb = to_int(ldb, "ldb", ctx), ildc = to_int(ldc, "ldc", ctx);
  if (k == 0) {
    // Nothing to multiply: C = beta·C, as kernels/cpu/gemm.h does.
    const int threads = 256;
    scale_rows_kernel<T><<<detail::grid_for(m * n, threads), threads, 0, detail::stream()>>>(c, m, n, ldc, beta);
    detail::check_launch("scale_rows_kernel", ctx);
    return;
  }
  const cublasHandle_t h = detail::cublas();
  const cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  check_cublas(gemm_call(h, op_b, op_a, in, im, ik, &alpha, b, ildb, a, ilda, &beta, c, ildc), name, describe());
  detail::after_enqueue(name, describe());
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                          float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t, const double*,
                           int64_t, double, double*, int64_t);

}  // namespace aafgan::kernels::cuda
