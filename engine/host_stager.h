#pragma once
// Host→device copies that never wait for the device: the per-step inputs of a training step
// (batches, one-hot labels, a CUDA graph's generator positions and Adam coefficients). Each copy
// goes through a page-locked slot of a small ring, and a slot is refilled only after the event
// recorded behind its last copy has passed, so the host waits at most for a copy it enqueued
// several steps ago, never for the step in flight. A pageable cudaMemcpyAsync could instead
// synchronise with the stream, and is not allowed while the stream is being captured.
#include <cstddef>
#include <vector>

#include "engine/dtype.h"

namespace aafgan {

class HostStager {
 public:
  explicit HostStager(int slots = 4);
  // Waits for the copies still reading the slots (errors are dropped: a destructor must not throw).
  ~HostStager();
  HostStager(const HostStager&) = delete;
  HostStager& operator=(const HostStager&) = delete;

  // `bytes` from host memory src to dst on `device`, enqueued on the device's stream; src may be
  // reused as soon as this returns. On the CPU a plain copy.
  void upload(void* dst, const Device& device, const void* src, size_t bytes);

 private:
  struct Slot {
    void* pinned = nullptr;
    size_t capacity = 0;
    void* event = nullptr;  // recorded behind the slot's last copy
    Device device;
  };
  std::vector<Slot> slots_;
  size_t next_ = 0;
};

}  // namespace aafgan
