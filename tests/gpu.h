#pragma once
// GPU tests call AAFGAN_REQUIRE_GPU_OR_SKIP() first. Without a usable device they print
// "skipped: <reason>" (ctest reports such a case as Skipped) and return, unless
// AAFGAN_REQUIRE_GPU=1 is set (tools/gpu_check.sh), where a missing GPU is a failure.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/device.h"

namespace aafgan::testing {

// Empty when a GPU can be used, else why not.
inline std::string gpu_unavailable_reason() {
  return cuda_unavailable_reason();
}

inline bool gpu_required() {
  const char* v = std::getenv("AAFGAN_REQUIRE_GPU");
  return v && std::string(v) == "1";
}

}  // namespace aafgan::testing

#define AAFGAN_REQUIRE_GPU_OR_SKIP()                                                         \
  do {                                                                                       \
    const std::string aafgan_gpu_reason = ::aafgan::testing::gpu_unavailable_reason();       \
    if (!aafgan_gpu_reason.empty()) {                                                        \
      REQUIRE_MESSAGE(!::aafgan::testing::gpu_required(),                                    \
                      "AAFGAN_REQUIRE_GPU=1 but " << aafgan_gpu_reason);                     \
      std::printf("skipped: %s\n", aafgan_gpu_reason.c_str());                               \
      return;                                                                                \
    }                                                                                        \
  } while (0)
