#pragma once
// defines: round_size, in_small_pool, segment_size and the constants behind them
//
// The size policy of the caching allocator (block_pool.h), after PyTorch's CUDACachingAllocator.
// Small requests share 2 MiB segments, so that the many tiny tensors of a step (biases,
// per-channel statistics, loss scalars) cost one cudaMalloc, not one each. Mid-sized requests
// share 20 MiB segments for the same reason. Requests from 10 MiB on get a segment of their
// own, rounded to 2 MiB only: carving them from a shared buffer would waste more than it saves.
// Everything is rounded to 512 bytes so that freed blocks of nearly equal sizes can serve each
// other, and so that every block stays aligned as well as the segment's base.
#include <cstddef>
#include <cstdint>

namespace aafgan::kernels::memory {

inline constexpr size_t kMiB = size_t(1) << 20;
// Every block size is a multiple of this, and no block is smaller.
inline constexpr size_t kMinBlockBytes = 512;
// Requests up to this (after rounding) come from the small pool.
inline constexpr size_t kSmallRequestMax = 1 * kMiB;
// What a small-pool segment holds.
inline constexpr size_t kSmallSegmentBytes = 2 * kMiB;
// What a large-pool segment holds when the request is below kOwnSegmentMin.
inline constexpr size_t kLargeSegmentBytes = 20 * kMiB;
// Requests from here on get a segment of their own, a multiple of kLargeRound.
inline constexpr size_t kOwnSegmentMin = 10 * kMiB;
inline constexpr size_t kLargeRound = 2 * kMiB;
// Beyond this a request is out of memory outright (no device has 4 EiB); it also keeps the
// roundings below from overflowing.
inline constexpr size_t kMaxRequestBytes = SIZE_MAX / 4;

// The block size a request of `bytes` (1 … kMaxRequestBytes) is given.
constexpr size_t round_size(size_t bytes) {
  return bytes <= kMinBlockBytes ? kMinBlockBytes : (bytes + kMinBlockBytes - 1) / kMinBlockBytes * kMinBlockBytes;
}

// Whether a block of `rounded` bytes (from round_size) lives in the small pool.
constexpr bool in_small_pool(size_t rounded) { return rounded <= kSmallRequestMax; }

// The size of the segment made when no cached block can serve `rounded` bytes.
constexpr size_t segment_size(size_t rounded) {
  if (in_small_pool(rounded)) return kSmallSegmentBytes;
  if (rounded < kOwnSegmentMin) return kLargeSegmentBytes;
  return (rounded + kLargeRound - 1) / kLargeRound * kLargeRound;
}

// Whether the `rest` left over when a block is cut to a request is worth keeping as a free
// block of its own. In the large pool a remainder of 1 MiB or less stays with the block: it
// could only ever serve the large pool's smallest requests, and keeping it whole avoids
// fragmenting big segments.
constexpr bool worth_splitting(bool small_pool, size_t rest) {
  return small_pool ? rest >= kMinBlockBytes : rest > kSmallRequestMax;
}

}  // namespace aafgan::kernels::memory
