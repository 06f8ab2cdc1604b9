#pragma once
// defines: cached_alloc, cached_free, empty_cache, allocator_stats (AllocatorStats), allocation_size,
//          CachedBuffer (an owner), OutOfMemoryError
//
// A caching allocator of device memory, so that a training loop's steady state (the same
// shapes every step) makes no cudaMalloc and no cudaFree.
//
// Sizes are rounded up (allocation_size below) and a freed block goes to a free list keyed by
// (device, rounded size), from which the next request of that rounded size on that device is
// served. Blocks are never split or merged: a GAN step asks for the same sizes each time.
// When cudaMalloc runs out of memory, the allocator synchronises the device, returns every
// cached block of that device to CUDA and tries once more; if that fails too it throws
// OutOfMemoryError naming the requested bytes and the device's free/total memory.
//
// Stream semantics: one stream per device (device_context.h). A block freed after work on the
// context stream has used it may be handed out again at once, without synchronising, because
// whatever the next user enqueues on that same stream runs after that work. Memory used by
// another stream must not be freed before that stream has been synchronised.
//
// Thread-safe (one mutex). Allocations are made on the current device (cudaGetDevice). The
// allocator lives for the whole process; at exit its blocks are left to the driver.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace aafgan::kernels::cuda {

// Thrown when device (or pinned host) memory runs out; the message names the requested size
// and the free/total memory.
class OutOfMemoryError : public std::runtime_error {
 public:
  explicit OutOfMemoryError(const std::string& what) : std::runtime_error(what) {}
};

// The size a request of `bytes` is rounded to: a multiple of 512 bytes below 1 MiB, a
// multiple of 2 MiB from 1 MiB on. 0 stays 0.
constexpr size_t kAllocationSmallRound = 512;
constexpr size_t kAllocationLargeThreshold = size_t(1) << 20;
constexpr size_t kAllocationLargeRound = size_t(2) << 20;
constexpr size_t allocation_size(size_t bytes) {
  return bytes < kAllocationLargeThreshold
             ? (bytes + kAllocationSmallRound - 1) / kAllocationSmallRound * kAllocationSmallRound
             : (bytes / kAllocationLargeRound + (bytes % kAllocationLargeRound != 0)) * kAllocationLargeRound;
}

struct AllocatorStats {
  size_t allocated_bytes = 0;       // in blocks handed out and not yet freed (rounded sizes)
  size_t peak_allocated_bytes = 0;  // the most allocated_bytes has been
  size_t cached_bytes = 0;          // in freed blocks kept for reuse
  uint64_t cuda_malloc_calls = 0;   // every cudaMalloc attempted, failed ones included
  uint64_t cuda_free_calls = 0;     // cached blocks returned to CUDA (OOM retry, empty_cache)
  uint64_t cache_hits = 0;          // requests served from the cache
};

// `bytes` of device memory on the current device, aligned to at least 256 bytes; nullptr for
// 0 bytes (without touching CUDA). Throws OutOfMemoryError, or std::runtime_error for any
// other CUDA failure (no device, a sticky error from an earlier kernel, ...).
void* cached_alloc(size_t bytes);
// Returns a block from cached_alloc to the cache; nullptr is a no-op. Throws if `ptr` did not
// come from cached_alloc or was freed already.
void cached_free(void* ptr);
// Synchronises each device that has cached blocks and returns them to CUDA (cudaFree).
// Blocks in use are untouched.
void empty_cache();
// A snapshot of the counters, summed over devices. Never throws.
AllocatorStats allocator_stats();

// One block from the caching allocator, returned to it when destroyed. Move-only.
class CachedBuffer {
 public:
  CachedBuffer() = default;
  explicit CachedBuffer(size_t bytes) : ptr_(cached_alloc(bytes)), bytes_(bytes) {}
  ~CachedBuffer() { reset(); }
  CachedBuffer(CachedBuffer&& o) noexcept : ptr_(o.ptr_), bytes_(o.bytes_) {
    o.ptr_ = nullptr;
    o.bytes_ = 0;
  }
  CachedBuffer& operator=(CachedBuffer&& o) noexcept {
    if (this != &o) {
      reset();
      ptr_ = o.ptr_;
      bytes_ = o.bytes_;
      o.ptr_ = nullptr;
      o.bytes_ = 0;
    }
    return *this;
  }
  CachedBuffer(const CachedBuffer&) = delete;
  CachedBuffer& operator=(const CachedBuffer&) = delete;

  void* get() const { return ptr_; }
  template <typename T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }
  size_t bytes() const { return bytes_; }  // as requested, before rounding

  // Back to the cache now (a destructor must not throw: a failure here is dropped, and the
  // next CUDA call reports the underlying problem).
  void reset() noexcept {
    if (!ptr_) return;
    try {
      cached_free(ptr_);
    } catch (...) {
    }
    ptr_ = nullptr;
    bytes_ = 0;
  }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace aafgan::kernels::cuda
