#pragma once
// defines: cached_alloc, cached_free, record_stream, empty_cache, allocator_stats
//          (AllocatorStats), end_capture_hold, release_graph_hold, CachedBuffer (an owner),
//          OutOfMemoryError
//
// The caching allocator of device memory, so that a training loop's steady state (the same
// shapes every step) makes no cudaMalloc and no cudaFree: both are slow, and cudaFree
// synchronises the device. The bookkeeping is kernels/memory/block_pool.h (one pool per
// device): requests rounded to 512 bytes; a small pool (up to 1 MiB, cut from 2 MiB segments)
// and a large pool (20 MiB segments, and a segment of its own from 10 MiB on); best fit,
// splitting and merging of neighbours, so that memory freed in pieces serves later requests of
// other sizes. cuBLAS's workspace and cuDNN's workspaces come from here too (device_context.cu,
// conv.cu), so that this allocator sees all the memory the engine holds.
//
// Streams: a block is handed out again without synchronising only for work on the stream it
// was allocated on, since that work runs after whatever used the block before. Memory that
// work on another stream also uses must be announced with record_stream before it is freed;
// the block is then held back until that stream has passed an event recorded at free time.
// A stream passed to either function must outlive the blocks allocated on or recorded for it
// (synchronise a stream before destroying it, then empty_cache if its blocks should go).
//
// Out of memory: the allocator synchronises the device (held-back blocks become reusable),
// gives every wholly free segment of that device that no CUDA graph holds (below) back to
// CUDA and tries once more; if that
// fails it throws OutOfMemoryError naming the requested and rounded sizes, the device's
// free/total memory and what this allocator holds (allocated, cached).
//
// CUDA graphs: while the allocation's stream is being captured nothing synchronises, frees to
// CUDA or queries events: a block allocated or freed during the capture is bookkeeping only
// and keeps its address; a new segment is still cudaMalloc'ed (in relaxed capture mode, as
// PyTorch does: the graph never frees it). Running out of memory then throws at once, saying
// so. empty_cache refuses to run while the current device's context stream is captured.
// The graph replays with those addresses while its temporaries, freed when the capture ended,
// sit in the cache; so every segment in which a block was allocated or freed during the
// capture is held: end_capture_hold (graph.cu, when the capture ends) makes that hold the
// graph's, and release_graph_hold (when the graph is destroyed) ends it. Neither empty_cache
// nor the out-of-memory retry gives a held segment back to CUDA, so a replay never writes
// freed memory; using the cached blocks between replays on the graph's stream is fine.
//
// Thread-safe (one mutex). The allocator lives for the whole process; at exit its segments
// are left to the driver.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/memory/pool_stats.h"

namespace aafgan::kernels::cuda {

// Thrown when device (or pinned host) memory runs out; the message names the requested size
// and the free/total memory.
class OutOfMemoryError : public std::runtime_error {
 public:
  explicit OutOfMemoryError(const std::string& what) : std::runtime_error(what) {}
};

// Summed over devices (peak_allocated_bytes is the sum of each device's peak);
// segment_allocs counts cudaMalloc calls, failed ones included, segment_frees cudaFree calls.
using AllocatorStats = memory::PoolStats;

// `bytes` of device memory on the current device for work on `stream` (a cudaStream_t;
// without one, the current device's context stream), aligned to at least 256 bytes; nullptr
// for 0 bytes (without touching CUDA). Throws OutOfMemoryError, or std::runtime_error for any
// other CUDA failure (no device, a sticky error from an earlier kernel, ...).
void* cached_alloc(size_t bytes);
void* cached_alloc(size_t bytes, void* stream);
// Returns a block from cached_alloc to the cache; nullptr is a no-op. Throws if `ptr` is not
// a live block of cached_alloc (never allocated, freed already, or a pointer into a block).
void cached_free(void* ptr);
// Work on `stream` uses the live block `ptr` (from cached_alloc): when freed, the block is not
// reused before that work is done. Throws for a pointer that is not a live block.
void record_stream(void* ptr, void* stream);
// Synchronises each device that holds segments and gives its wholly free segments back to
// CUDA (cudaFree). Blocks in use, the segments holding them, and segments a live CUDA graph
// holds are untouched.
void empty_cache();
// A snapshot of the counters (held_segments/held_bytes: what captures and graphs hold). Never
// throws.
AllocatorStats allocator_stats();

// The capture of `stream` has just ended (cudaStreamEndCapture, whatever its outcome): the
// segments it touched, on every device, become held by the returned token until
// release_graph_hold. 0 when it touched none. Touches no CUDA state.
uint64_t end_capture_hold(void* stream);
// Ends a hold from end_capture_hold (its graph was destroyed, or the capture discarded); the
// segments go back to CUDA at the next trim once nothing else holds them. 0 is a no-op;
// failures are dropped (an unknown token is a bug that would at worst keep memory cached).
void release_graph_hold(uint64_t hold) noexcept;

// One block from the caching allocator, returned to it when destroyed. Move-only.
class CachedBuffer {
 public:
  CachedBuffer() = default;
  explicit CachedBuffer(size_t bytes) : ptr_(cached_alloc(bytes)), bytes_(bytes) {}
  CachedBuffer(size_t bytes, void* stream) : ptr_(cached_alloc(bytes, stream)), bytes_(bytes) {}
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
