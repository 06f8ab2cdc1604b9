// The FID network's image ops on CUDA tensors (kernels/cuda/image_ops.h, kernels/cuda/pool.h)
// against their CPU twins, forward and input gradient in f32 and f64: avg_pool2d with padding and
// count_include_pad, global_avg_pool2d, interpolate_bilinear up and down, max_pool2d with padding
// (ties and NaN); then the FID Inception on the GPU against the CPU, and the FID evaluator
// following a generator onto the GPU. Without a GPU each case prints "skipped: <reason>".
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/fake_images.h"
#include "engine/autograd.h"
#include "engine/device.h"
#include "engine/ops.h"
#include "engine/ops/image_ops.h"
#include "kernels/cuda/device_context.h"
#include "kernels/cuda/image_ops.h"
#include "kernels/cuda/pool.h"
#include "models/dcgan.h"
#include "metrics/gan_metrics.h"
#include "metrics/inception.h"
#include "tests/gpu.h"
#include "tests/gradcheck.h"

using namespace aafgan;
using aafgan::testing::random_input;

namespace {

const std::string kWeights = std::string(AAFGAN_FIXTURES_DIR) + "/fid_inception_w16.aafgan";

using UnaryFn = std::function<Tensor(const Tensor&)>;

struct Outcome {
  std::vector<double> y, gx;
};

// y = fn(x on `device` in `dtype`), and the gradient of sum(y ⊙ R) with respect to x for a fixed
// random projection R.
Outcome run_on(const Device& device, const UnaryFn& fn, const Tensor& x64, DType dtype) {
  Tensor x = x64.to(dtype).to(device);
  x.set_requires_grad(true);
  const Tensor y = fn(x);
  Outcome r;
  r.y = y.to_vector();
  const Tensor proj = random_input(y.shape(), 4242).to(dtype).to(device);
  autograd::backward(sum(mul(y, proj)));
  REQUIRE(x.grad().defined());
  r.gx = x.grad().to_vector();
  return r;
}

// Close within rtol of each value plus 1% of the largest (NaN only where the CPU has NaN). The
// kernels promise the CPU's bits where `bits` is true: a difference is then reported as a
// warning (the tolerance is what fails a case).
void check_close(const std::string& what, const std::vector<double>& cpu, const std::vector<double>& gpu, double rtol,
                 bool bits) {
  REQUIRE_MESSAGE(cpu.size() == gpu.size(), what);
  double scale = 0;
  for (double v : cpu)
    if (std::isfinite(v)) scale = std::max(scale, std::abs(v));
  int64_t bad = 0, not_bits = 0;
  double worst = 0;
  for (size_t i = 0; i < cpu.size(); ++i) {
    if (std::isnan(cpu[i]) || std::isnan(gpu[i])) {
      bad += std::isnan(cpu[i]) != std::isnan(gpu[i]);
      continue;
    }
    const double err = std::abs(cpu[i] - gpu[i]);
    worst = std::max(worst, err / std::max(scale, 1e-300));
    bad += !(err <= rtol * (std::abs(cpu[i]) + scale * 1e-2));
    not_bits += cpu[i] != gpu[i];
  }
  CHECK_MESSAGE(bad == 0, what, ": ", bad, " of ", cpu.size(), " differ; worst error relative to the largest ",
                worst);
  if (bits)
    WARN_MESSAGE(not_bits == 0, what, ": ", not_bits, " of ", cpu.size(),
                 " values are not the cpu's bits; worst error relative to the largest ", worst);
}

// Forward and input gradient agree across devices in f32 (1e-5) and f64 (1e-12).
void agree(const std::string& what, const UnaryFn& fn, const Tensor& x64, bool bits = true) {
  for (const DType dt : {DType::f32, DType::f64}) {
    const double rtol = dt == DType::f32 ? 1e-5 : 1e-12;
    const Outcome c = run_on(Device::cpu(), fn, x64, dt);
    const Outcome g = run_on(Device::cuda(0), fn, x64, dt);
    const std::string tag = what + " " + dtype_name(dt);
    check_close(tag + " forward", c.y, g.y, rtol, bits);
    check_close(tag + " input gradient", c.gx, g.gx, rtol, bits);
  }
}

// Small integers (many ties, so the first-maximum rule matters), optionally with NaNs.
Tensor tie_input(const Shape& s, uint64_t seed, bool nans) {
  std::vector<double> v(static_cast<size_t>(s.numel()));
  std::mt19937_64 rng(seed);
  for (double& e : v) e = static_cast<double>(static_cast<int>(rng() % 5) - 2);
  if (nans) {
    const int64_t w = s[3];
    v[0] = std::numeric_limits<double>::quiet_NaN();  // a corner: windows clipped by the padding
    // Two side by side in one window, where the CPU's scan keeps the last NaN as the argmax.
    if (s[2] >= 2 && w >= 3) {
      v[static_cast<size_t>(w + 1)] = std::numeric_limits<double>::quiet_NaN();
      v[static_cast<size_t>(w + 2)] = std::numeric_limits<double>::quiet_NaN();
    }
  }
  return Tensor::from_vector(s, v, DType::f64);
}

struct PoolCase {
  Shape shape;
  int k, s, p;
};

std::string pool_name(const char* op, const PoolCase& c) {
  return std::string(op) + " " + c.shape.str() + " kernel " + std::to_string(c.k) + " stride " + std::to_string(c.s) +
         " padding " + std::to_string(c.p);
}

// max |a − b| relative to max |a|.
double relative_error(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double scale = 0, worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    scale = std::max(scale, std::abs(a[i]));
    worst = std::max(worst, std::abs(a[i] - b[i]));
  }
  return worst / std::max(scale, 1e-300);
}

}  // namespace

TEST_CASE("cuda image ops: avg_pool2d with and without counting the padding agrees with the cpu") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  const std::vector<PoolCase> cases = {
      {{2, 3, 9, 7}, 3, 1, 1},    // the FID blocks' pool, odd sizes
      {{2, 1, 35, 35}, 3, 1, 1},  // Mixed_5's map
      {{2, 2, 11, 13}, 3, 2, 1},  // strided with padding
      {{1, 3, 8, 8}, 2, 0, 0},    // stride = kernel, no padding
      {{2, 2, 10, 9}, 5, 3, 2},   // large padded windows
      {{1, 2, 6, 7}, 4, 2, 2},    // even kernel, padding k/2
      {{1, 1, 2, 3}, 3, 1, 1},    // input smaller than the kernel
      {{1, 2, 7, 7}, 2, 3, 0},    // gaps between windows
  };
  int i = 0;
  for (const PoolCase& c : cases)
    for (const bool cip : {false, true}) {
      const std::string name = pool_name("avg_pool2d", c) + (cip ? " count_include_pad" : " excluding the padding");
      agree(
          name, [c, cip](const Tensor& x) { return avg_pool2d(x, c.k, c.s, c.p, cip); },
          random_input(c.shape, 100 + static_cast<uint64_t>(i++)));
    }
}

TEST_CASE("cuda image ops: global_avg_pool2d agrees with the cpu") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  // Planes up to kernels::cuda::kGlobalPoolSeqMax elements are added in the CPU's order (its
  // bits); larger ones in a block tree (deterministic, within rounding of the CPU).
  const std::vector<Shape> small = {{3, 5, 8, 8}, {2, 3, 1, 1}, {2, 2, 7, 9}, {1, 1, 32, 32}};
  const std::vector<Shape> large = {{1, 3, 40, 41}, {2, 1, 100, 99}};
  uint64_t seed = 200;
  for (const Shape& s : small)
    agree("global_avg_pool2d " + s.str(), [](const Tensor& x) { return global_avg_pool2d(x); },
          random_input(s, seed++));
  for (const Shape& s : large)
    agree("global_avg_pool2d " + s.str(), [](const Tensor& x) { return global_avg_pool2d(x); },
          random_input(s, seed++), /*bits=*/false);
}

TEST_CASE("cuda image ops: interpolate_bilinear agrees with the cpu when upsampling and downsampling") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  struct Case {
    Shape shape;
    int64_t oh, ow;
  };
  const std::vector<Case> cases = {
      {{2, 3, 64, 64}, 299, 299},  // FID's resize of 64×64 samples
      {{1, 2, 13, 13}, 7, 7},      // downsampling skips pixels
      {{2, 2, 13, 9}, 7, 5},
      {{1, 2, 7, 7}, 16, 3},       // up along one axis, down along the other
      {{1, 1, 5, 6}, 5, 6},        // the same size copies
      {{2, 1, 1, 1}, 3, 4},        // one input pixel
      {{1, 1, 3, 3}, 1, 1},        // one output pixel
      {{1, 2, 10, 10}, 20, 20},    // exactly twice
      {{1, 1, 90, 70}, 75, 75},    // the 75×75 FID case
      {{1, 1, 299, 299}, 64, 64},  // a large reduction
  };
  uint64_t seed = 300;
  for (const Case& c : cases)
    agree("interpolate_bilinear " + c.shape.str() + " to " + std::to_string(c.oh) + "x" + std::to_string(c.ow),
          [c](const Tensor& x) { return interpolate_bilinear(x, c.oh, c.ow); }, random_input(c.shape, seed++));
}

TEST_CASE("cuda image ops: max_pool2d with padding agrees with the cpu including ties and nan") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  const std::vector<PoolCase> cases = {
      {{2, 3, 8, 8}, 3, 1, 1},    // Mixed_7c's pool
      {{2, 2, 9, 7}, 3, 2, 1},    // strided with padding
      {{1, 2, 10, 11}, 4, 2, 2},  // even kernel, padding k/2
      {{2, 1, 5, 5}, 5, 1, 2},    // every window clipped
      {{1, 1, 2, 2}, 3, 1, 1},    // input smaller than the kernel
      {{1, 3, 8, 8}, 2, 2, 1},    // padding on the far side left over by the floor
      {{2, 2, 17, 17}, 3, 2, 0},  // the stem's unpadded 3×3/2
  };
  uint64_t seed = 400;
  for (const PoolCase& c : cases) {
    const UnaryFn fn = [c](const Tensor& x) { return max_pool2d(x, c.k, c.s, c.p); };
    agree(pool_name("max_pool2d", c) + " ties", fn, tie_input(c.shape, seed++, false));
    agree(pool_name("max_pool2d", c) + " ties and nan", fn, tie_input(c.shape, seed++, true));
    agree(pool_name("max_pool2d", c) + " random", fn, random_input(c.shape, seed++));
  }
}

TEST_CASE("cuda image ops: the kernels refuse bad sizes by name") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  namespace kc = kernels::cuda;
  CHECK_THROWS_WITH_AS(kc::avg_pool2d_forward<float>(nullptr, nullptr, 1, 2, 2, 7, 1, 2, false, kc::context_stream()),
                       doctest::Contains("avg_pool2d_forward"), std::runtime_error);
  CHECK_THROWS_WITH_AS(kc::avg_pool2d_backward<double>(nullptr, nullptr, 1, 8, 8, 3, 1, 2, true, kc::context_stream()),
                       doctest::Contains("padding"), std::runtime_error);
  CHECK_THROWS_WITH_AS(kc::max_pool2d_forward<float>(nullptr, nullptr, nullptr, 1, 4, 4, 3, 1, 2, kc::context_stream()),
                       doctest::Contains("padding"), std::runtime_error);
  CHECK_THROWS_WITH_AS(kc::max_pool2d_backward<double>(nullptr, nullptr, nullptr, 1, 1, 1, 4, 1, 1, kc::context_stream()),
                       doctest::Contains("larger than the input"), std::runtime_error);
  CHECK_THROWS_WITH_AS(kc::global_avg_pool2d_forward<float>(nullptr, nullptr, 2, 0, kc::context_stream()),
                       doctest::Contains("empty plane"), std::runtime_error);
  CHECK_THROWS_WITH_AS(kc::interpolate_bilinear_forward<double>(nullptr, nullptr, 1, 0, 3, 2, 2, kc::context_stream()),
                       doctest::Contains("interpolate_bilinear_forward"), std::runtime_error);
  CHECK_THROWS_WITH_AS(kc::interpolate_bilinear_backward<float>(nullptr, nullptr, int64_t(1) << 20, 64, 64, 8, 8, kc::context_stream()),
                       doctest::Contains("2^31"), std::runtime_error);
}

TEST_CASE("cuda image ops: the fid inception on the gpu gives the cpu features") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  struct Case {
    Shape shape;
    int resize;
  };
  // pytorch-fid's 299 from 64×64 samples, and the smallest input size from odd ones.
  for (const Case& c : {Case{{2, 3, 64, 64}, 299}, Case{{1, 3, 90, 70}, 75}})
    for (const DType dt : {DType::f32, DType::f64}) {
      const std::string what = c.shape.str() + " at " + std::to_string(c.resize) + " " + dtype_name(dt);
      const auto net = models::fid::FidInception::load(kWeights, dt, c.resize);
      CHECK(net->device().is_cpu());
      const Tensor x = random_input(c.shape, 500, 0.0, 1.0).to(dt);
      autograd::NoGradGuard no_grad;
      const Tensor cpu = net->forward(x);
      net->to(Device::cuda(0));
      REQUIRE(net->device().is_cuda());
      const Tensor gpu = net->forward(x.to(Device::cuda(0)));
      CHECK(gpu.device().is_cuda());
      REQUIRE(gpu.shape() == cpu.shape());
      // Host images run on the network's device and come back to the host.
      const Tensor from_host = net->forward(x);
      CHECK(from_host.device().is_cpu());
      net->to(Device::cpu());
      const Tensor again = net->forward(x);

      // Relative to the feature scale (the largest feature): cuDNN's convolutions add in their
      // own order, so only the pooling and resizing are the CPU's bits.
      const double tol = dt == DType::f32 ? 1e-4 : 1e-10;
      const double err = relative_error(cpu.to_vector(), gpu.to_vector());
      MESSAGE("fid inception " << what << ": gpu features within " << err << " of the feature scale");
      CHECK_MESSAGE(err <= tol, what);
      CHECK_MESSAGE(relative_error(gpu.to_vector(), from_host.to_vector()) <= tol, what);
      // Moving the weights back and forth copies them exactly.
      CHECK_MESSAGE(again.to_vector() == cpu.to_vector(), what);
    }
}

TEST_CASE("cuda image ops: the fid evaluator runs the inception on the gpu of its generator") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  models::fid::FidMetricOptions o;
  o.weights_path = kWeights;
  o.samples = 5;
  o.batch_size = 3;  // a short last batch
  o.kid = false;
  o.verbose = false;
  const models::fid::FidReference ref{[] { return data::make_fake_images(8, 3, 64, 99); }, "fake seed=99 count=8"};
  models::fid::FidEvaluator evaluator(o, ref);

  models::DcGanSpec spec;
  spec.gen_init_weights = 1;
  spec.dis_init_weights = 1;
  Generator init(21, 1);
  models::DcGan model(spec, init, DType::f32);
  const double on_cpu = evaluator.score(model, 21, DType::f32).fid;
  CHECK(evaluator.network().device().is_cpu());

  model.generator().to(Device::cuda(0));
  model.discriminator().to(Device::cuda(0));
  const double on_gpu = evaluator.score(model, 21, DType::f32).fid;
  CHECK(evaluator.network().device().is_cuda());
  MESSAGE("fid of the same samples: cpu " << on_cpu << ", gpu " << on_gpu);
  CHECK(std::isfinite(on_gpu));
  CHECK(on_gpu == doctest::Approx(on_cpu).epsilon(1e-3));

  // And back: the network follows the generator to the cpu, where the score is the cpu's again.
  model.generator().to(Device::cpu());
  model.discriminator().to(Device::cpu());
  CHECK(evaluator.score(model, 21, DType::f32).fid == on_cpu);
  CHECK(evaluator.network().device().is_cpu());
}
