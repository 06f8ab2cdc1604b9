#pragma once
#include <cstdint>

#include "engine/tensor.h"

namespace aafgan {

// A counter-based generator: its whole state is (seed, offset). Each draw of n numbers
// consumes counters [offset, offset + n), so the same seed gives the same numbers on any
// device and a checkpoint restores a run exactly by saving two integers.
class Generator {
 public:
  explicit Generator(uint64_t seed = 0, uint32_t stream = 0) : seed_(seed), stream_(stream) {}

  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  uint32_t stream() const { return stream_; }
  void set_state(uint64_t seed, uint64_t offset) { seed_ = seed; offset_ = offset; }

  // Reserves n counters and returns the first (while capturing: relative to the replay's base).
  uint64_t advance(uint64_t n) {
    uint64_t& at = capture_base_ ? captured_ : offset_;
    const uint64_t start = at;
    at += n;
    return start;
  }

  // CUDA graph capture (engine/cuda_graph.h). A replayed kernel keeps the arguments it was
  // captured with, so between begin_capture and end_capture device draws are numbered from 0 and
  // their kernels add the word at `device_base`, which the graph sets to offset() before each
  // replay; end_capture returns how many counters one replay consumes. Host draws
  // (next_below, next_uniform, CPU tensors) are refused meanwhile: nothing would replay them.
  void begin_capture(const uint64_t* device_base);
  uint64_t end_capture();
  // The base device draws must add: null unless capturing.
  const uint64_t* capture_base() const { return capture_base_; }

  void normal_(Tensor& t, double mean = 0.0, double std = 1.0);
  void uniform_(Tensor& t, double low = 0.0, double high = 1.0);
  // Uniform integer in [0, n): for shuffles and random labels.
  uint64_t next_below(uint64_t n);
  double next_uniform();

 private:
  uint64_t seed_;
  uint64_t offset_ = 0;
  uint32_t stream_;
  const uint64_t* capture_base_ = nullptr;
  uint64_t captured_ = 0;  // counters drawn during the capture
};

Tensor randn(const Shape& shape, Generator& gen, DType dtype = DType::f32, Device device = Device::cpu());
Tensor rand(const Shape& shape, Generator& gen, DType dtype = DType::f32, Device device = Device::cpu());

}  // namespace aafgan
