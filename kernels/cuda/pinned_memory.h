#pragma once
// defines: pinned_alloc, pinned_free, PinnedBuffer, copy_to_device_async, copy_to_host_async,
//          copy_device_to_device_async, stream_synchronize
//
// Pinned (page-locked) host memory and asynchronous copies. A copy from or to pinned memory
// runs on its stream without blocking the host; from pageable memory the CUDA runtime stages
// it (and may block). Streams are `void*` holding a cudaStream_t; nullptr is the legacy
// default stream, which the context stream (device_context.h) does NOT wait for: pass
// context_stream() to order a copy with the library calls of kernels/cuda.
//
// Failures throw std::runtime_error naming the CUDA call, the size and the runtime's message;
// running out of pinned memory throws OutOfMemoryError (device_allocator.h). A build without
// the CUDA toolkit throws "this build has no CUDA backend".
#include <cstddef>

#include "kernels/cuda/device_allocator.h"

namespace aafgan::kernels::cuda {

// cudaMallocHost / cudaFreeHost. 0 bytes gives nullptr without touching CUDA; freeing nullptr
// is a no-op.
void* pinned_alloc(size_t bytes);
void pinned_free(void* ptr);

// cudaMemcpyAsync on `stream`: host → device, device → host, device → device. Nothing is
// synchronised: the source must stay valid and unchanged, and the destination unread, until
// the stream has reached the copy (stream_synchronize). 0 bytes is a no-op.
void copy_to_device_async(void* dst, const void* src, size_t bytes, void* stream);
void copy_to_host_async(void* dst, const void* src, size_t bytes, void* stream);
void copy_device_to_device_async(void* dst, const void* src, size_t bytes, void* stream);

// cudaStreamSynchronize(stream).
void stream_synchronize(void* stream);

// A reusable pinned host buffer that grows on demand and never shrinks: a data loader keeps
// one per batch slot and refills it every step. Move-only.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  explicit PinnedBuffer(size_t bytes) { reserve(bytes); }
  ~PinnedBuffer() { release(); }
  PinnedBuffer(PinnedBuffer&& o) noexcept : ptr_(o.ptr_), capacity_(o.capacity_) {
    o.ptr_ = nullptr;
    o.capacity_ = 0;
  }
  PinnedBuffer& operator=(PinnedBuffer&& o) noexcept {
    if (this != &o) {
      release();
      ptr_ = o.ptr_;
      capacity_ = o.capacity_;
      o.ptr_ = nullptr;
      o.capacity_ = 0;
    }
    return *this;
  }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  // At least `bytes` of capacity afterwards. Growing replaces the buffer (the contents are not
  // kept), so first synchronise every stream with a copy still reading or writing it.
  void reserve(size_t bytes) {
    if (bytes <= capacity_) return;
    void* p = pinned_alloc(bytes);  // the old buffer stays if this throws
    release();
    ptr_ = p;
    capacity_ = bytes;
  }

  void* data() const { return ptr_; }
  template <typename T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }
  size_t capacity() const { return capacity_; }

 private:
  void release() noexcept {
    if (!ptr_) return;
    try {
      pinned_free(ptr_);
    } catch (...) {
      // Never throw from a destructor; the next CUDA call reports the underlying problem.
    }
    ptr_ = nullptr;
    capacity_ = 0;
  }

  void* ptr_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace aafgan::kernels::cuda
