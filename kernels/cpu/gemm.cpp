#include "kernels/cpu/gemm.h"

#include <Eigen/Core>

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

}  // namespace

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
          const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  MutMap<T> cm(c, m, n, Eigen::OuterStride<>(ldc));
  if (k == 0) {
    if (beta == T(0)) cm.setZero(); else cm *= beta;
    return;
  }
  // A stored as M×K (or K×M when transposed), likewise B.
  ConstMap<T> am(a, trans_a ? k : m, trans_a ? m : k, Eigen::OuterStride<>(lda));
  ConstMap<T> bm(b, trans_b ? n : k, trans_b ? k : n, Eigen::OuterStride<>(ldb));
  if (!trans_a && !trans_b) finish(cm, am, bm, alpha, beta);
  else if (trans_a && !trans_b) finish(cm, am.transpose(), bm, alpha, beta);
  else if (!trans_a && trans_b) finish(cm, am, bm.transpose(), alpha, beta);
  else finish(cm, am.transpose(), bm.transpose(), alpha, beta);
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                          float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t, const double*,
                           int64_t, double, double*, int64_t);

}  // namespace aafgan::kernels::cpu
