// The device query never crashes, whatever the driver situation; a GPU build reports devices.
#include <doctest/doctest.h>

#include "tests/gpu.h"

TEST_CASE("cuda: device query reports a count or a reason") {
  const auto dc = aafgan::kernels::cuda::device_count();
  CHECK(dc.count >= 0);
  CHECK((dc.count > 0) == dc.reason.empty());
  AAFGAN_REQUIRE_GPU_OR_SKIP();
  CHECK(dc.count > 0);
}
