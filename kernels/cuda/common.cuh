#pragma once
// Private helpers of the op kernels (elementwise, pointwise, reduce, random, loss, pool, optim):
// launch geometry, checked launches, 16-byte vector accesses, division by a run-time constant and
// a fixed-order block sum. Included by .cu files only (it needs cuda_runtime.h); the public
// headers next to it stay free of CUDA headers.
//
// Conventions of every op kernel:
// - a block has kThreads threads, always (the block sums rely on it);
// - element counts are checked on the host to fit 32-bit indices (at most 2^31 − 1), so the
//   kernels index with uint32_t;
// - whether 16-byte vector accesses are used depends on the pointers' alignment, but what each
//   thread computes, and in which order it adds, depends on the sizes alone: aligned and
//   misaligned calls give the same bits;
// - no floating-point atomics: every sum has an order fixed by the sizes.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/cuda/fast_div.cuh"
#include "kernels/cuda/sync_mode.h"

namespace aafgan::kernels::cuda::ops_detail {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr int64_t kMaxElements = (int64_t(1) << 31) - 1;
// Grid-stride loops take over past this many blocks (far above any GPU's residency).
constexpr int64_t kMaxBlocks = int64_t(1) << 20;

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }
inline cudaStream_t as_stream(void* s) { return static_cast<cudaStream_t>(s); }

template <typename T>
const char* type_name() {
  return sizeof(T) == 4 ? "f32" : "f64";
}

// Blocks for a grid-stride loop over `items` work items of one thread each.
inline unsigned blocks_for(int64_t items) {
  return static_cast<unsigned>(std::clamp<int64_t>(ceil_div(items, kThreads), 1, kMaxBlocks));
}

// The argument checks and launch checks below take the sizes as a callable returning a
// std::string, so the description is only built when something failed.

// After a launch of kernel<type>: throws naming it, the sizes and the grid if the launch failed
// (and, with AAFGAN_CUDA_SYNC=1, if the kernel itself failed: sync_mode.h).
template <typename Sizes>
void check_launch(const char* kernel, const char* type, dim3 grid, const Sizes& sizes) {
  const cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess)
    throw std::runtime_error(std::string(kernel) + "<" + type + "> launch (" + sizes() + ", grid " +
                             std::to_string(grid.x) + "×" + std::to_string(grid.y) + "×" +
                             std::to_string(kThreads) + " threads) failed: " + cudaGetErrorString(err));
  if (sync_each_op()) sync_check(std::string(kernel) + "<" + type + "> (" + sizes() + ")");
}

// Any other CUDA call of an op (memset, memcpy): throws naming it and the op's sizes (with
// AAFGAN_CUDA_SYNC=1 also when the enqueued work fails).
template <typename Sizes>
void check_call(cudaError_t err, const char* call, const Sizes& sizes) {
  if (err != cudaSuccess) {
    cudaGetLastError();  // do not let a later check report this one again
    throw std::runtime_error(std::string(call) + " (" + sizes() + ") failed: " + cudaGetErrorString(err));
  }
  if (sync_each_op()) sync_check(std::string(call) + " (" + sizes() + ")");
}

[[noreturn]] inline void bad_args(const char* fn, const std::string& sizes, const std::string& why) {
  throw std::runtime_error(std::string(fn) + "(" + sizes + "): " + why);
}

// 0 ≤ n ≤ 2^31 − 1, else throws.
template <typename Sizes>
void check_count(const char* fn, int64_t n, const Sizes& sizes) {
  if (n < 0) bad_args(fn, sizes(), "negative size");
  if (n > kMaxElements) bad_args(fn, sizes(), "the CUDA op kernels index with 32 bits: at most 2^31 − 1 elements");
}

// The common description of a one-size op.
struct NStr {
  int64_t n;
  std::string operator()() const { return "n=" + std::to_string(n); }
};

// --- 16-byte units ------------------------------------------------------------------------------

template <typename T>
constexpr int vec_width() {
  return static_cast<int>(16 / sizeof(T));
}

template <typename T>
struct Vec16;
template <>
struct Vec16<float> {
  using type = float4;
};
template <>
struct Vec16<double> {
  using type = double2;
};

template <typename T>
__device__ __forceinline__ void load_vec(const T* __restrict__ p, T (&v)[vec_width<T>()]) {
  const typename Vec16<T>::type q = *reinterpret_cast<const typename Vec16<T>::type*>(p);
  if constexpr (sizeof(T) == 4) {
    v[0] = q.x;
    v[1] = q.y;
    v[2] = q.z;
    v[3] = q.w;
  } else {
    v[0] = q.x;
    v[1] = q.y;
  }
}

template <typename T>
__device__ __forceinline__ void store_vec(T* __restrict__ p, const T (&v)[vec_width<T>()]) {
  typename Vec16<T>::type q;
  if constexpr (sizeof(T) == 4) {
    q.x = v[0];
    q.y = v[1];
    q.z = v[2];
    q.w = v[3];
  } else {
    q.x = v[0];
    q.y = v[1];
  }
  *reinterpret_cast<typename Vec16<T>::type*>(p) = q;
}

// Lanes [0, count) of the unit at p: one 16-byte access when `vec` (p aligned and the unit
// whole), else element by element. Lanes past count are zero on load and never stored.
template <typename T>
__device__ __forceinline__ void load_unit(const T* __restrict__ p, int count, bool vec, T (&v)[vec_width<T>()]) {
  if (vec && count == vec_width<T>()) {
    load_vec<T>(p, v);
    return;
  }
#pragma unroll
  for (int l = 0; l < vec_width<T>(); ++l) v[l] = l < count ? p[l] : T(0);
}

template <typename T>
__device__ __forceinline__ void store_unit(T* __restrict__ p, int count, bool vec, const T (&v)[vec_width<T>()]) {
  if (vec && count == vec_width<T>()) {
    store_vec<T>(p, v);
    return;
  }
#pragma unroll
  for (int l = 0; l < vec_width<T>(); ++l)
    if (l < count) p[l] = v[l];
}

// --- fixed-order sums -----------------------------------------------------------------------------

// Sum over the 32 lanes of a warp in a fixed shuffle-down tree: lane 0 holds the result.
__device__ __forceinline__ double warp_sum(double v) {
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  return v;
}

// Sum of v over the block (blockDim.x == kThreads, every thread calls it), in an order fixed by
// the thread indices: each warp's tree, then the warps' sums in a tree. Valid in thread 0.
__device__ __forceinline__ double block_sum(double v) {
  __shared__ double warp_sums[kWarps];
  v = warp_sum(v);
  const int lane = static_cast<int>(threadIdx.x) & 31, warp = static_cast<int>(threadIdx.x) >> 5;
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  double r = 0;
  if (warp == 0) r = warp_sum(lane < kWarps ? warp_sums[lane] : 0.0);
  __syncthreads();  // a second call may reuse warp_sums
  return r;
}

// block_sum's result in every thread of the block.
__device__ __forceinline__ double block_sum_all(double v) {
  __shared__ double result;
  const double s = block_sum(v);
  if (threadIdx.x == 0) result = s;
  __syncthreads();
  const double r = result;
  __syncthreads();
  return r;
}

// The largest of the block's v (a < b ? b : a at every step, in a fixed tree), in every thread.
// With a NaN among them the result is unspecified but the same on every run.
template <typename T>
__device__ __forceinline__ T block_max_all(T v) {
  __shared__ T warp_max[kWarps];
  __shared__ T result;
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) {
    const T o = __shfl_down_sync(0xffffffffu, v, off);
    v = v < o ? o : v;
  }
  const int lane = static_cast<int>(threadIdx.x) & 31, warp = static_cast<int>(threadIdx.x) >> 5;
  if (lane == 0) warp_max[warp] = v;
  __syncthreads();
  if (warp == 0) {
    T r = warp_max[lane < kWarps ? lane : 0];
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) {
      const T o = __shfl_down_sync(0xffffffffu, r, off);
      r = r < o ? o : r;
    }
    if (lane == 0) result = r;
  }
  __syncthreads();
  const T r = result;
  __syncthreads();
  return r;
}

}  // namespace aafgan::kernels::cuda::ops_detail
