#pragma once
// defines: PoolStats
//
// The caching allocator's counters (block_pool.h), in a header of their own so that
// kernels/cuda/device_allocator.h can hand them out without pulling in the pool.
#include <cstddef>
#include <cstdint>

namespace aafgan::kernels::memory {

struct PoolStats {
  size_t allocated_bytes = 0;       // in blocks handed out and not yet freed (block sizes, after rounding)
  size_t peak_allocated_bytes = 0;  // the most allocated_bytes has been
  size_t reserved_bytes = 0;        // in segments held from the source
  size_t cached_bytes = 0;          // reserved − allocated: free blocks and freed blocks still held back
  size_t pending_free_blocks = 0;   // freed, held back until other streams pass (record_stream)
  size_t segments = 0;              // held from the source now
  size_t held_segments = 0;         // of those, kept for a capture or a CUDA graph (never trimmed)
  size_t held_bytes = 0;            // their bytes
  uint64_t segment_allocs = 0;      // allocate_segment calls, failed ones included (cudaMalloc)
  uint64_t segment_frees = 0;       // segments given back (cudaFree)
  uint64_t cache_hits = 0;          // requests served from a cached block, without a new segment

  // Sums two pools' counters (several devices); peaks add up to a bound, not a joint peak.
  PoolStats& operator+=(const PoolStats& o) {
    allocated_bytes += o.allocated_bytes;
    peak_allocated_bytes += o.peak_allocated_bytes;
    reserved_bytes += o.reserved_bytes;
    cached_bytes += o.cached_bytes;
    pending_free_blocks += o.pending_free_blocks;
    segments += o.segments;
    held_segments += o.held_segments;
    held_bytes += o.held_bytes;
    segment_allocs += o.segment_allocs;
    segment_frees += o.segment_frees;
    cache_hits += o.cache_hits;
    return *this;
  }
};

}  // namespace aafgan::kernels::memory
