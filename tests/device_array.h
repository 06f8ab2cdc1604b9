#pragma once
// The device array every kernel-level GPU test uses (kernels/cuda functions called directly,
// as llm.c's dev/cuda tests do): n elements of T in their own cudaMalloc block (outside the
// caching allocator, so allocator statistics see only what the code under test allocates),
// optionally `offset` elements into it so a test can hand the kernels pointers that miss
// 16-byte alignment. Copies go through the context stream and are waited for; a download first
// waits for the whole device, so it sees kernels launched on any stream.
#include <doctest/doctest.h>

#include <cstddef>
#include <exception>
#include <vector>

#include "kernels/cuda/device_context.h"
#include "kernels/cuda/pinned_memory.h"
#include "kernels/cuda/runtime.h"

namespace aafgan::testing {

template <typename T>
class DeviceArray {
 public:
  explicit DeviceArray(size_t n, size_t offset = 0) : n_(n), offset_(offset) {
    raw_ = kernels::cuda::device_alloc((n + offset) * sizeof(T));
  }
  explicit DeviceArray(const std::vector<T>& host, size_t offset = 0) : DeviceArray(host.size(), offset) {
    upload(host);
  }
  ~DeviceArray() {
    try {
      kernels::cuda::device_free(raw_);
    } catch (const std::exception&) {
      // A failure here is reported by the test's next CUDA call; never throw from a destructor.
    }
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  T* get() const { return raw_ ? static_cast<T*>(raw_) + offset_ : nullptr; }
  size_t size() const { return n_; }

  void upload(const std::vector<T>& v) {
    REQUIRE(v.size() == n_);
    kernels::cuda::copy_to_device_async(get(), v.data(), n_ * sizeof(T), kernels::cuda::context_stream());
    kernels::cuda::synchronize();
  }
  std::vector<T> download() const {
    kernels::cuda::device_synchronize();
    std::vector<T> v(n_);
    kernels::cuda::copy_to_host_async(v.data(), get(), n_ * sizeof(T), kernels::cuda::context_stream());
    kernels::cuda::synchronize();
    return v;
  }

 private:
  void* raw_ = nullptr;
  size_t n_ = 0, offset_ = 0;
};

}  // namespace aafgan::testing
