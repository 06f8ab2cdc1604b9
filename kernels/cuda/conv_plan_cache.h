#pragma once
// defines: ConvDirection, ConvPlanKey, ConvPlanCache
//
// The policy of the cuDNN convolutions' algorithm cache (conv.cu), in plain C++ so that it is
// tested without a GPU (tests/test_conv_plan_cache.cpp): a plan is chosen once per key and kept
// for the process, and none is chosen while the stream is being captured into a CUDA graph.
// Choosing benchmarks the algorithms (cudnnFind*AlgorithmEx), which synchronises and so
// invalidates the capture; deterministic mode instead tries algorithms until one runs, and a try
// that fails inside a capture ends it too. Left to happen, the capture would fail only at its
// end, with the runtime's "operation not permitted when stream is capturing" and no word of
// which convolution did it. So a miss during capture throws at once, naming the shape: every
// convolution shape must run eagerly before capture, as the trainer's eager warm-up steps do.
//
// No CUDA headers: the plan type is conv.cu's, the key plain numbers.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "kernels/math/conv.h"

namespace aafgan::kernels::cuda {

// The cuDNN call a plan is for; a transposed convolution runs its adjoint convolution's calls.
enum class ConvDirection { forward = 0, backward_data = 1, backward_filter = 2 };

inline const char* conv_direction_name(ConvDirection d) {
  switch (d) {
    case ConvDirection::forward:
      return "forward";
    case ConvDirection::backward_data:
      return "backward data";
    case ConvDirection::backward_filter:
      return "backward filter";
  }
  return "?";
}

// Everything an algorithm choice depends on.
struct ConvPlanKey {
  ConvDirection direction = ConvDirection::forward;
  int device = 0;
  bool f64 = false;
  ConvShape shape;  // of the convolution cuDNN runs (the adjoint one for a transposed convolution)
  bool deterministic = false;
  bool tf32 = false;
  size_t workspace_limit = 0;

  std::array<int64_t, 17> tuple() const {
    const ConvShape& s = shape;
    return {static_cast<int64_t>(direction),
            device,
            f64 ? 1 : 0,
            s.n,
            s.in_channels,
            s.in_h,
            s.in_w,
            s.out_channels,
            s.kernel_h,
            s.kernel_w,
            s.stride_h,
            s.stride_w,
            s.pad_h,
            s.pad_w,
            deterministic ? 1 : 0,
            tf32 ? 1 : 0,
            static_cast<int64_t>(workspace_limit)};
  }

  // "backward data of the convolution n 64, 256 → 512 channels, 8×8 → 4×4, kernel 4×4,
  // stride 2×2, pad 1×1, float32 (device 0, TF32 off, benchmarked, workspace limit 256 MiB)":
  // the settings too, since changing one after the warm-up also misses.
  std::string str() const {
    const auto n = [](int64_t v) { return std::to_string(v); };
    const ConvShape& s = shape;
    const std::string limit = workspace_limit % (size_t(1) << 20) == 0
                                  ? std::to_string(workspace_limit >> 20) + " MiB"
                                  : std::to_string(workspace_limit) + " bytes";
    return std::string(conv_direction_name(direction)) + " of the convolution n " + n(s.n) + ", " +
           n(s.in_channels) + " → " + n(s.out_channels) + " channels, " + n(s.in_h) + "×" + n(s.in_w) + " → " +
           n(s.out_h()) + "×" + n(s.out_w()) + ", kernel " + n(s.kernel_h) + "×" + n(s.kernel_w) + ", stride " +
           n(s.stride_h) + "×" + n(s.stride_w) + ", pad " + n(s.pad_h) + "×" + n(s.pad_w) + ", " +
           (f64 ? "float64" : "float32") + " (device " + n(device) + ", TF32 " + (tf32 ? "on" : "off") + ", " +
           (deterministic ? "deterministic" : "benchmarked") + ", workspace limit " + limit + ")";
  }
};

// The chosen plans, shared by all threads.
template <typename Plan>
class ConvPlanCache {
 public:
  // The plan chosen for `key`, or nothing when none is yet. A miss while the stream is being
  // captured (`capturing`) throws std::runtime_error beginning with `what` (the operation
  // asked for, in its own terms) and naming the key, without anything being chosen.
  std::optional<Plan> find(const ConvPlanKey& key, bool capturing, const std::string& what) const {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const auto it = plans_.find(key.tuple());
      if (it != plans_.end()) return it->second;
    }
    if (capturing)
      throw std::runtime_error(
          what + ": no cuDNN algorithm is chosen yet for " + key.str() +
          ", and the stream is being captured into a CUDA graph, where choosing one (benchmarking with "
          "cudnnFind*AlgorithmEx synchronises the device) would invalidate the capture. Every convolution shape "
          "must run eagerly before capture (the trainer's eager warm-up steps do that); this one is new to the "
          "captured step, or a setting in the parentheses changed since the warm-up");
    return std::nullopt;
  }

  // Keeps the first plan chosen for `key` (two threads may both have chosen one).
  void insert(const ConvPlanKey& key, const Plan& plan) {
    std::lock_guard<std::mutex> lock(mutex_);
    plans_.emplace(key.tuple(), plan);
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return plans_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::array<int64_t, 17>, Plan> plans_;
};

}  // namespace aafgan::kernels::cuda
