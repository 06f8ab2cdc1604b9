// The CPU GEMM kernel against a plain triple loop: every transpose combination, row strides
// wider than the rows, alpha/beta, and sizes on both sides of the backends' blocking.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/gemm.h"

using aafgan::kernels::cpu::gemm;

namespace {

template <typename T>
void check_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, T beta, double tol) {
  std::mt19937 rng(static_cast<unsigned>(m * 131 + n * 17 + k + ta * 2 + tb));
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  const int64_t a_rows = ta ? k : m, a_cols = ta ? m : k, b_rows = tb ? n : k, b_cols = tb ? k : n;
  const int64_t lda = a_cols + 3, ldb = b_cols + 1, ldc = n + 2;
  std::vector<T> a(static_cast<size_t>(a_rows * lda)), b(static_cast<size_t>(b_rows * ldb)),
      c(static_cast<size_t>(m * ldc));
  for (auto& v : a) v = static_cast<T>(dist(rng));
  for (auto& v : b) v = static_cast<T>(dist(rng));
  for (auto& v : c) v = static_cast<T>(dist(rng));
  std::vector<T> want = c;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < k; ++p) {
        const double av = ta ? a[static_cast<size_t>(p * lda + i)] : a[static_cast<size_t>(i * lda + p)];
        const double bv = tb ? b[static_cast<size_t>(j * ldb + p)] : b[static_cast<size_t>(p * ldb + j)];
        acc += av * bv;
      }
      T& w = want[static_cast<size_t>(i * ldc + j)];
      w = static_cast<T>(alpha * acc + (beta == T(0) ? 0.0 : beta * static_cast<double>(w)));
    }
  gemm<T>(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
  double worst = 0;  // over the padding columns too, which must keep their values
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < ldc; ++j) {
      const size_t at = static_cast<size_t>(i * ldc + j);
      worst = std::max(worst, std::abs(static_cast<double>(c[at]) - static_cast<double>(want[at])) /
                                  (1.0 + std::abs(static_cast<double>(want[at]))));
    }
  CHECK_MESSAGE(worst < tol, "ta ", ta, " tb ", tb, " m ", m, " n ", n, " k ", k, ": error ", worst);
}

}  // namespace

TEST_CASE("gemm: every transpose combination with strides and alpha beta matches a triple loop") {
  INFO("backend: ", aafgan::kernels::cpu::gemm_backend());
  const std::vector<std::array<int64_t, 3>> sizes = {{1, 1, 1}, {3, 5, 7}, {100, 256, 110}, {67, 129, 300}};
  for (const auto& s : sizes)
    for (const bool ta : {false, true})
      for (const bool tb : {false, true}) {
        check_gemm<float>(ta, tb, s[0], s[1], s[2], 1.0f, 0.0f, 1e-5);
        check_gemm<float>(ta, tb, s[0], s[1], s[2], 0.5f, 1.0f, 1e-5);
        check_gemm<double>(ta, tb, s[0], s[1], s[2], -2.0, 0.25, 1e-13);
      }
}

TEST_CASE("gemm: k = 0 scales C by beta and beta = 0 ignores what C held") {
  std::vector<float> c = {1.0f, 2.0f, 3.0f, 4.0f};
  gemm<float>(false, false, 2, 2, 0, 1.0f, nullptr, 1, nullptr, 2, 0.5f, c.data(), 2);
  CHECK(c == std::vector<float>{0.5f, 1.0f, 1.5f, 2.0f});
  // NaN garbage in C must not leak through beta = 0 (BLAS semantics: C is not read).
  std::vector<float> a = {1.0f, 2.0f}, b = {3.0f, 4.0f}, out = {std::nanf(""), std::nanf("")};
  gemm<float>(false, false, 1, 2, 1, 1.0f, a.data(), 1, b.data(), 2, 0.0f, out.data(), 2);
  CHECK(out[0] == 3.0f);
  CHECK(out[1] == 4.0f);
}
