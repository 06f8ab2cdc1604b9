#pragma once
// GPU tests call AAFGAN_REQUIRE_GPU_OR_SKIP() (or AAFGAN_REQUIRE_GPUS_OR_SKIP(n)) as their first
// statement (tests/check_skip_macros.sh checks that). Without a usable device they print
// "skipped: <reason>" (ctest reports such a case as Skipped) and return, unless
// AAFGAN_REQUIRE_GPU=1 is set (tools/gpu_check.sh), where a missing GPU is a failure. A case whose
// assertions already failed returns without the "skipped: " line, so ctest reports the failure.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/backend.h"
#include "engine/device.h"
#include "tests/failure_count.h"

namespace aafgan::testing {

// Empty when a GPU can be used, else why not.
inline std::string gpu_unavailable_reason() {
  return cuda_unavailable_reason();
}

inline bool gpu_required() {
  const char* v = std::getenv("AAFGAN_REQUIRE_GPU");
  return v && std::string(v) == "1";
}

// Reports a skip for `reason`; false when the case must fail instead (AAFGAN_REQUIRE_GPU=1 and
// `required`), and then the failure is already recorded.
inline bool report_skip(const std::string& reason, bool required) {
  if (required && gpu_required()) {
    FAIL_CHECK("AAFGAN_REQUIRE_GPU=1 but " << reason);
    return false;
  }
  if (failed_asserts_in_current_test() == 0) std::printf("skipped: %s\n", reason.c_str());
  return true;
}

// Why fewer than n GPUs can be used ("needs 2 GPUs (1 visible)"), empty when n can.
inline std::string gpus_unavailable_reason(int n) {
  const std::string none = gpu_unavailable_reason();
  if (!none.empty()) return none;
  const int count = backend::device_count().count;
  if (count >= n) return "";
  return "needs " + std::to_string(n) + " GPUs (" + std::to_string(count) + " visible)";
}

}  // namespace aafgan::testing

#define AAFGAN_REQUIRE_GPU_OR_SKIP()                                                   \
  do {                                                                                 \
    const std::string aafgan_gpu_reason = ::aafgan::testing::gpu_unavailable_reason(); \
    if (!aafgan_gpu_reason.empty()) {                                                  \
      ::aafgan::testing::report_skip(aafgan_gpu_reason, true);                         \
      return;                                                                          \
    }                                                                                  \
  } while (0)

// n GPUs or a skip; AAFGAN_REQUIRE_GPU=1 asks for one GPU, so a machine with one GPU skips
// multi-GPU cases without failing.
#define AAFGAN_REQUIRE_GPUS_OR_SKIP(n)                                                      \
  do {                                                                                      \
    const std::string aafgan_gpu_reason = ::aafgan::testing::gpus_unavailable_reason(n);    \
    if (!aafgan_gpu_reason.empty()) {                                                       \
      const bool aafgan_no_gpu = !::aafgan::testing::gpu_unavailable_reason().empty();      \
      ::aafgan::testing::report_skip(aafgan_gpu_reason, aafgan_no_gpu);                     \
      return;                                                                               \
    }                                                                                       \
  } while (0)
