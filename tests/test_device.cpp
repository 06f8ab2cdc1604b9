// The device query never crashes, whatever the driver situation; a GPU build reports devices;
// a CUDA tensor in a build without CUDA fails with one clear message.
#include <doctest/doctest.h>

#include <string>

#include "engine/backend.h"
#include "engine/tensor.h"
#include "tests/gpu.h"

TEST_CASE("cuda: device query reports a count or a reason") {
  const auto dc = aafgan::backend::device_count();
  CHECK(dc.count >= 0);
  CHECK((dc.count > 0) == dc.reason.empty());
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  CHECK(dc.count > 0);
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
