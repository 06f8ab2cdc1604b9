// The dropout mask: which elements survive is fixed by kernels/math/philox.h alone, so the CPU loop
// (vectorised over Philox lanes) and the CUDA kernel must agree with the scalar definition.
#include <doctest/doctest.h>

#include <cmath>

#include "engine/ops.h"
#include "kernels/math/philox.h"

using namespace aafgan;

TEST_CASE("dropout: every element follows philox_dropout_keep and the draw consumes n/4 counters") {
  for (const int64_t n : {1, 3, 63, 64, 65, 1000, 40000}) {  // partial blocks, chunks and the threaded path
    Generator gen(1234, 5);
    gen.advance(17);  // a draw that does not start at counter 0
    const uint64_t start = gen.offset();
    const double p = 0.3;
    Tensor x = Tensor::full(Shape{n}, 2.0, DType::f64);
    Tensor y = dropout(x, p, true, gen);
    CHECK(gen.offset() == start + kernels::dropout_counters(static_cast<uint64_t>(n)));
    const uint32_t threshold = kernels::dropout_threshold(p);
    const double* py = y.data<double>();
    int64_t mismatches = 0;
    for (int64_t i = 0; i < n; ++i) {
      const bool keep = kernels::philox_dropout_keep(1234, start, static_cast<uint64_t>(i), 5, threshold);
      const double want = keep ? 2.0 / (1.0 - p) : 0.0;
      mismatches += py[i] != want;
    }
    CHECK_MESSAGE(mismatches == 0, "n = ", n);
  }
}

TEST_CASE("dropout: the kept fraction is 1 - p and kept values are scaled by 1/(1 - p)") {
  for (const double p : {0.1, 0.3, 0.5, 0.9}) {
    Generator gen(99);
    const int64_t n = 200000;
    Tensor y = dropout(Tensor::ones(Shape{n}), p, true, gen);
    const float* py = y.data<float>();
    int64_t kept = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (py[i] != 0.0f) {
        ++kept;
        REQUIRE(py[i] == static_cast<float>(1.0 / (1.0 - p)));
      }
    }
    // Binomial standard deviation at n = 2e5 is at most 0.0012; 5 sigma.
    CHECK(std::abs(static_cast<double>(kept) / n - (1.0 - p)) < 0.006);
  }
}

TEST_CASE("dropout: threshold edges keep everything at p = 0 and the threshold saturates below 1") {
  CHECK(kernels::dropout_threshold(0.0) == 0u);
  CHECK(kernels::dropout_threshold(0.5) == 2147483648u);
  CHECK(kernels::dropout_threshold(0.9999999999999) == 4294967295u);
}
