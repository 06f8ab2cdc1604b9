// The cuDNN algorithm cache's policy (kernels/cuda/conv_plan_cache.h), which conv.cu follows:
// a plan is chosen once per key and reused, and a miss while the stream is being captured
// into a CUDA graph throws, naming the convolution, instead of searching (which would
// invalidate the capture). Plain C++: runs in every build.
#include <doctest/doctest.h>

#include <optional>
#include <stdexcept>
#include <string>

#include "kernels/cuda/conv_plan_cache.h"
#include "tests/test_helpers.h"

using aafgan::testing::contains;

namespace {

namespace kc = aafgan::kernels::cuda;

// Stands for conv.cu's plan: an algorithm and its workspace.
struct FakePlan {
  int algo = 0;
  size_t workspace = 0;
};

// The adjoint convolution of a DCGAN generator layer: conv_transpose2d of x [64, 512, 4, 4]
// to [64, 256, 8, 8] runs the backward data of conv [64, 256, 8, 8] * w [512, 256, 4, 4].
kc::ConvPlanKey dcgan_key() {
  kc::ConvPlanKey k;
  k.direction = kc::ConvDirection::backward_data;
  k.device = 0;
  k.f64 = false;
  k.shape.n = 64;
  k.shape.in_channels = 256;
  k.shape.in_h = 8;
  k.shape.in_w = 8;
  k.shape.out_channels = 512;
  k.shape.kernel_h = 4;
  k.shape.kernel_w = 4;
  k.shape.stride_h = 2;
  k.shape.stride_w = 2;
  k.shape.pad_h = 1;
  k.shape.pad_w = 1;
  k.workspace_limit = size_t(256) << 20;
  return k;
}

const std::string what = "conv_transpose2d forward x [64, 512, 4, 4] *T w [512, 256, 4, 4] float32";

std::string miss_message(const kc::ConvPlanCache<FakePlan>& cache, const kc::ConvPlanKey& key) {
  try {
    cache.find(key, true, what);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("conv plan cache: a miss while the stream is captured throws, naming the shape and the remedy") {
  kc::ConvPlanCache<FakePlan> cache;
  const kc::ConvPlanKey key = dcgan_key();
  CHECK_THROWS_AS(cache.find(key, true, what), std::runtime_error);
  const std::string m = miss_message(cache, key);
  INFO(m);
  CHECK(m.rfind(what + ": ", 0) == 0);
  CHECK(contains(m, "backward data of the convolution n 64, 256 → 512 channels, 8×8 → 4×4, kernel 4×4, "
                    "stride 2×2, pad 1×1, float32 (device 0, TF32 off, benchmarked, workspace limit 256 MiB)"));
  CHECK(contains(m, "being captured into a CUDA graph"));
  CHECK(contains(m, "Every convolution shape must run eagerly before capture"));
  CHECK(contains(m, "warm-up"));
  CHECK(cache.size() == 0);  // nothing was chosen
  // Outside a capture the same miss is the caller's cue to choose a plan.
  CHECK(!cache.find(key, false, what).has_value());
}

TEST_CASE("conv plan cache: a plan chosen eagerly is found while capturing") {
  kc::ConvPlanCache<FakePlan> cache;
  const kc::ConvPlanKey key = dcgan_key();
  cache.insert(key, FakePlan{1, 4096});
  const std::optional<FakePlan> hit = cache.find(key, true, what);
  REQUIRE(hit.has_value());
  CHECK(hit->algo == 1);
  CHECK(hit->workspace == 4096);
  cache.insert(key, FakePlan{6, 0});  // a second thread's choice: the first is kept
  CHECK(cache.find(key, true, what)->algo == 1);
  CHECK(cache.size() == 1);
}

TEST_CASE("conv plan cache: every part of the key tells plans apart, so a changed setting misses during capture") {
  kc::ConvPlanCache<FakePlan> cache;
  const kc::ConvPlanKey base = dcgan_key();
  cache.insert(base, FakePlan{1, 0});
  auto variant = [&](auto change) {
    kc::ConvPlanKey k = base;
    change(k);
    return k;
  };
  const kc::ConvPlanKey others[] = {
      variant([](kc::ConvPlanKey& k) { k.direction = kc::ConvDirection::forward; }),
      variant([](kc::ConvPlanKey& k) { k.device = 1; }),
      variant([](kc::ConvPlanKey& k) { k.f64 = true; }),
      variant([](kc::ConvPlanKey& k) { k.shape.n = 63; }),
      variant([](kc::ConvPlanKey& k) { k.shape.in_w = 9; }),
      variant([](kc::ConvPlanKey& k) { k.shape.kernel_h = 3; }),
      variant([](kc::ConvPlanKey& k) { k.shape.stride_w = 1; }),
      variant([](kc::ConvPlanKey& k) { k.shape.pad_h = 0; }),
      variant([](kc::ConvPlanKey& k) { k.deterministic = true; }),
      variant([](kc::ConvPlanKey& k) { k.tf32 = true; }),
      variant([](kc::ConvPlanKey& k) { k.workspace_limit = size_t(64) << 20; }),
  };
  for (const kc::ConvPlanKey& k : others) {
    CAPTURE(k.str());
    CHECK_THROWS_AS(cache.find(k, true, what), std::runtime_error);
    CHECK(!cache.find(k, false, what).has_value());
  }
  CHECK(contains(miss_message(cache, others[0]), "forward of the convolution"));
  CHECK(contains(miss_message(cache, others[2]), "float64"));
  CHECK(contains(miss_message(cache, others[8]), "deterministic"));
  CHECK(contains(miss_message(cache, others[9]), "TF32 on"));
  CHECK(cache.find(base, true, what).has_value());
}
