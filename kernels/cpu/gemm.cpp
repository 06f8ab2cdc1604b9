#include "kernels/cpu/gemm.h"

#include <Eigen/Core>
#include <climits>
#include <stdexcept>

#ifdef AAFGAN_WITH_OPENBLAS
// The CBLAS entry points of OpenBLAS (Debian's libopenblas0-openmp ships the library without
// a header; the CBLAS ABI is fixed: 32-bit ints, enums as ints).
extern "C" {
void cblas_sgemm(int order, int trans_a, int trans_b, int m, int n, int k, float alpha, const float* a, int lda,
                 const float* b, int ldb, float beta, float* c, int ldc);
void cblas_dgemm(int order, int trans_a, int trans_b, int m, int n, int k, double alpha, const double* a, int lda,
                 const double* b, int ldb, double beta, double* c, int ldc);
}
#endif

namespace aafgan::kernels::cpu {

namespace {

template <typename T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using ConstMap = Eigen::Map<const RowMat<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <typename T>
using MutMap = Eigen::Map<RowMat<T>, Eigen::Unaligned, Eigen::OuterStride<>>;

template <typename T, typename L, typename R>
void finish(MutMap<T>& c, const L& lhs, const R& rhs, T alpha, T beta) {
  if (beta == T(0)) {
    c.noalias() = alpha * (lhs * rhs);
  } else {
    if (beta != T(1)) c *= beta;
    c.noalias() += alpha * (lhs * rhs);
  }
}

template <typename T>
void eigen_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
                const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  MutMap<T> cm(c, m, n, Eigen::OuterStride<>(ldc));
  // A stored as M×K (or K×M when transposed), likewise B.
  ConstMap<T> am(a, trans_a ? k : m, trans_a ? m : k, Eigen::OuterStride<>(lda));
  ConstMap<T> bm(b, trans_b ? n : k, trans_b ? k : n, Eigen::OuterStride<>(ldb));
  if (!trans_a && !trans_b) finish(cm, am, bm, alpha, beta);
  else if (trans_a && !trans_b) finish(cm, am.transpose(), bm, alpha, beta);
  else if (!trans_a && trans_b) finish(cm, am, bm.transpose(), alpha, beta);
  else finish(cm, am.transpose(), bm.transpose(), alpha, beta);
}

#ifdef AAFGAN_WITH_OPENBLAS
constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;

bool fits_int(int64_t v) { return v <= INT_MAX; }

void blas_gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb,
               float beta, float* c, int ldc) {
  cblas_sgemm(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void blas_gemm(bool ta, bool tb, int m, int n, int k, double alpha, const double* a, int lda, const double* b,
               int ldb, double beta, double* c, int ldc) {
  cblas_dgemm(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
#endif

}  // namespace

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
          const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    MutMap<T> cm(c, m, n, Eigen::OuterStride<>(ldc));
    if (beta == T(0)) cm.setZero(); else cm *= beta;
    return;
  }
#ifdef AAFGAN_WITH_OPENBLAS
  // OpenBLAS's AVX-512/AVX2 kernels run this engine's shapes ~1.4× faster than Eigen 3.4's.
  // Its OpenMP build follows omp_set_num_threads and runs single-threaded inside our own
  // parallel regions. Sizes past its 32-bit interface fall back to Eigen.
  if (fits_int(m) && fits_int(n) && fits_int(k) && fits_int(lda) && fits_int(ldb) && fits_int(ldc)) {
    blas_gemm(trans_a, trans_b, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha, a,
              static_cast<int>(lda), b, static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
    return;
  }
#endif
  eigen_gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

const char* gemm_backend() {
#ifdef AAFGAN_WITH_OPENBLAS
  return "OpenBLAS (OpenMP build)";
#else
  return "Eigen";
#endif
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                          float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t, const double*,
                           int64_t, double, double*, int64_t);

}  // namespace aafgan::kernels::cpu
