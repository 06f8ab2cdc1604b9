#pragma once
// defines: gemm, gemm_backend
//
// Row-major GEMM: C = alpha·op(A)·op(B) + beta·C, where op transposes when asked. Runs on
// OpenBLAS when the build found its OpenMP variant (AAFGAN_WITH_OPENBLAS), else on Eigen.
// A is M×K after op, B is K×N after op, C is M×N; ld* are row strides of the stored matrices.
#include <cstdint>

namespace aafgan::kernels::cpu {

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
          const T* b, int64_t ldb, T beta, T* c, int64_t ldc);

// "OpenBLAS (OpenMP build)" or "Eigen", for benchmark headers and logs.
const char* gemm_backend();

}  // namespace aafgan::kernels::cpu
