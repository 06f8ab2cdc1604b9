// The device query never crashes, whatever the driver situation; a GPU build reports devices;
// a CUDA tensor in a build without CUDA fails with one clear message.
#include <doctest/doctest.h>

#include <string>

#include "engine/backend.h"
#include "engine/tensor.h"
#include "kernels/cuda/sync_mode.h"
#include "tests/gpu.h"

TEST_CASE("device query: a count or the reason there is none") {
  const auto dc = aafgan::backend::device_count();
  CHECK(dc.count >= 0);
  CHECK((dc.count > 0) == dc.reason.empty());
}

TEST_CASE("cuda: device query reports a GPU where one is usable") {
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  CHECK(aafgan::backend::device_count().count > 0);
  // Every architecture a CUDA 12 or 13 toolkit builds for (sm_50 … sm_120), as major·10 + minor.
  const int cc = aafgan::backend::compute_capability(aafgan::Device::cuda(0));
  CHECK(cc >= 50);
  CHECK(cc < 200);
}

TEST_CASE("device query: the host has no compute capability") {
  CHECK(aafgan::backend::compute_capability(aafgan::Device::cpu()) == 0);
}

TEST_CASE("backend: a build without CUDA says so in one message") {
#if defined(AAFGAN_WITH_CUDA)
  std::printf("skipped: this build has the CUDA backend\n");
#else
  std::string message;
  try {
    aafgan::backend::make_current(aafgan::Device::cuda(0));
  } catch (const std::exception& e) {
    message = e.what();
  }
  CHECK(message.find("built without CUDA") != std::string::npos);
  // Every kernel routes through the same place.
  message.clear();
  try {
    aafgan::backend::Buffer b(aafgan::Device::cuda(0), 64);
  } catch (const std::exception& e) {
    message = e.what();
  }
  CHECK(message.find("built without CUDA") != std::string::npos);
  CHECK(aafgan::backend::device_count().reason.find("no CUDA backend") != std::string::npos);
#endif
}

TEST_CASE("AAFGAN_CUDA_SYNC: unset, empty and 0 are off, 1 is on, anything else is an error naming it") {
  using aafgan::kernels::cuda::parse_sync_setting;
  CHECK_FALSE(parse_sync_setting(nullptr));
  CHECK_FALSE(parse_sync_setting(""));
  CHECK_FALSE(parse_sync_setting("0"));
  CHECK(parse_sync_setting("1"));
  for (const char* bad : {"yes", "2", " 1", "1 ", "true", "on"}) {
    INFO("value \"" << bad << "\"");
    CHECK_THROWS_WITH_AS(parse_sync_setting(bad),
                         doctest::Contains(("AAFGAN_CUDA_SYNC=\"" + std::string(bad) + "\": expected 1").c_str()),
                         std::invalid_argument);
  }
}
