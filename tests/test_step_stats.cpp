// The pieces of the sync-free, graph-capturable training step that run on the CPU too: the
// device-side step statistics, a generator's capture numbering, Adam's coefficients read from
// memory, the host stager, and what a CPU device says to a graph.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "engine/cuda_graph.h"
#include "engine/host_stager.h"
#include "engine/random.h"
#include "engine/step_stats.h"
#include "kernels/cpu/optim.h"

using namespace aafgan;

namespace {

Tensor vec(const std::vector<double>& v, DType dt = DType::f32) {
  return Tensor::from_vector(Shape{static_cast<int64_t>(v.size())}, v, dt);
}

}  // namespace

TEST_CASE("step stats: sums in step order, D accuracy from both halves, last values") {
  for (const DType dt : {DType::f32, DType::f64}) {
    Tensor s = new_step_stats(Device::cpu());
    // Step 1: real 0.9, 0.4 (one right), fake 0.2, 0.6 (one right): accuracy 0.5.
    record_step_stats(s, vec({1.25}, dt), vec({0.75}, dt), vec({0.9, 0.4}, dt), vec({0.2, 0.6}, dt));
    // Step 2: all four right, and 0.5 counts as fake: accuracy 1.
    record_step_stats(s, vec({1.5}, dt), vec({0.5}, dt), vec({0.75, 0.625}, dt), vec({0.5, 0.25}, dt));
    const StepStatsSnapshot r = read_step_stats(s);
    CHECK(r.steps == 2);
    CHECK(r.first_bad_step == -1);
    CHECK(r.sums.d_loss == 1.25 + 1.5);
    CHECK(r.sums.g_loss == 0.75 + 0.5);
    CHECK(r.sums.d_accuracy == 0.5 + 1.0);
    CHECK(r.d_real_sum == doctest::Approx((0.9 + 0.4) / 2 + (0.75 + 0.625) / 2).epsilon(1e-7));
    CHECK(r.d_fake_sum == doctest::Approx((0.2 + 0.6) / 2 + (0.5 + 0.25) / 2));
    CHECK(r.last.d_loss == 1.5);
    CHECK(r.last.g_loss == 0.5);
    CHECK(r.last.d_accuracy == 1.0);
    CHECK(r.last.d_real == (0.75 + 0.625) / 2);
  }
}

TEST_CASE("step stats: the first non-finite loss is recorded and freezes the statistics") {
  Tensor s = new_step_stats(Device::cpu());
  reset_step_stats(s, StepSums{10.0, 20.0, 3.0});  // a resumed epoch's sums so far
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  record_step_stats(s, vec({1.0}), vec({2.0}), vec({0.9}), vec({0.1}));
  record_step_stats(s, vec({nan}), vec({2.0}), vec({0.9}), vec({0.1}));
  record_step_stats(s, vec({1.0}), vec({inf}), vec({0.9}), vec({0.1}));  // after the first: ignored
  const StepStatsSnapshot r = read_step_stats(s);
  CHECK(r.steps == 1);
  CHECK(r.first_bad_step == 1);
  CHECK(std::isnan(r.bad_d_loss));
  CHECK(r.bad_g_loss == 2.0);
  CHECK(r.sums.d_loss == 11.0);
  CHECK(r.sums.g_loss == 22.0);
  CHECK(r.sums.d_accuracy == 4.0);
  CHECK(r.last.d_loss == 1.0);
  // A g_loss alone can be the bad one too.
  reset_step_stats(s, {});
  record_step_stats(s, vec({1.0}), vec({-inf}), vec({0.9}), vec({0.1}));
  CHECK(read_step_stats(s).first_bad_step == 0);
}

TEST_CASE("step stats: bad arguments are refused by name") {
  Tensor s = new_step_stats(Device::cpu());
  CHECK_THROWS_WITH_AS(record_step_stats(s, vec({1.0, 2.0}), vec({1.0}), vec({0.5}), vec({0.5})),
                       doctest::Contains("one element"), std::runtime_error);
  CHECK_THROWS_WITH_AS(record_step_stats(s, vec({1.0}), vec({1.0}), vec({0.5}), vec({0.5, 0.5})),
                       doctest::Contains("one size"), std::runtime_error);
  Tensor wrong = Tensor::zeros(Shape{3}, DType::f64);
  CHECK_THROWS_WITH_AS(record_step_stats(wrong, vec({1.0}), vec({1.0}), vec({0.5}), vec({0.5})),
                       doctest::Contains("statistics array"), std::runtime_error);
}

TEST_CASE("generator capture: draws are numbered from 0, host draws are refused, the position is untouched") {
  Generator g(11, 2);
  g.advance(100);
  uint64_t base = 0;  // stands for the device word; never dereferenced on the host
  g.begin_capture(&base);
  CHECK(g.capture_base() == &base);
  CHECK(g.advance(30) == 0);
  CHECK(g.advance(12) == 30);
  CHECK_THROWS_WITH_AS(g.next_below(10), doctest::Contains("captured into a CUDA graph"), std::runtime_error);
  CHECK_THROWS_WITH_AS(g.next_uniform(), doctest::Contains("captured into a CUDA graph"), std::runtime_error);
  Tensor t = Tensor::empty(Shape{4});
  CHECK_THROWS_WITH_AS(g.normal_(t), doctest::Contains("captured into a CUDA graph"), std::runtime_error);
  CHECK_THROWS_AS(g.begin_capture(&base), std::runtime_error);
  CHECK(g.end_capture() == 42);
  CHECK(g.capture_base() == nullptr);
  CHECK(g.offset() == 100);
  CHECK_THROWS_AS(g.end_capture(), std::runtime_error);
  // A replay then moves the position by what one replay draws, as the eager draws would have.
  CHECK(g.advance(42) == 100);
  CHECK(g.offset() == 142);
}

TEST_CASE("adam kernel: coefficients read from memory give the bits of coefficients passed by value") {
  const int64_t n = 1000;
  std::vector<float> p1(n), g(n), m1(n, 0.01f), v1(n, 0.02f);
  for (int64_t i = 0; i < n; ++i) {
    p1[i] = std::sin(0.1f * static_cast<float>(i));
    g[i] = std::cos(0.37f * static_cast<float>(i));
  }
  std::vector<float> p2 = p1, m2 = m1, v2 = v1;
  const kernels::AdamCoeffs<float> c{0.5f, 0.5f, 0.999f, 0.001f, 0.0f, std::sqrt(1 - 0.999f * 0.999f), 1e-8f,
                                     -0.002f / (1 - 0.25f)};
  kernels::AdamTensor<float> by_value{p1.data(), g.data(), m1.data(), v1.data(), n, c};
  kernels::AdamTensor<float> from_memory{p2.data(), g.data(), m2.data(), v2.data(), n, {}};
  from_memory.coeffs_at = &c;
  kernels::cpu::adam_step_multi<float>(&by_value, 1);
  kernels::cpu::adam_step_multi<float>(&from_memory, 1);
  CHECK(std::memcmp(p1.data(), p2.data(), n * sizeof(float)) == 0);
  CHECK(std::memcmp(m1.data(), m2.data(), n * sizeof(float)) == 0);
  CHECK(std::memcmp(v1.data(), v2.data(), n * sizeof(float)) == 0);
  CHECK(p1 != std::vector<float>(n, 0.0f));
}

TEST_CASE("host stager: a host destination is a plain copy, and CUDA graphs refuse the CPU by name") {
  HostStager stager(2);
  const std::vector<double> src = {1, 2, 3};
  std::vector<double> dst(3, 0);
  stager.upload(dst.data(), Device::cpu(), src.data(), 3 * sizeof(double));
  CHECK(dst == src);
  CudaGraph graph;
  Generator g(1, 1);
  bool ran = false;
  CHECK_THROWS_WITH_AS(graph.capture(Device::cpu(), {&g}, [&] { ran = true; }), doctest::Contains("CUDA device"),
                       std::runtime_error);
  CHECK(!ran);
  CHECK(!graph.ready());
  CHECK(g.capture_base() == nullptr);
}
