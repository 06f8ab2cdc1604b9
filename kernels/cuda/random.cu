// Philox fills and the dropout mask (see random.h). One thread computes element i (normal,
// uniform) or the four elements of one Philox block (dropout) from kernels/math/philox.h alone, so the
// values do not depend on the launch.
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/random.h"
#include "kernels/math/random.h"
#include "kernels/math/philox.h"

namespace aafgan::kernels::cuda {

using namespace ops_detail;

namespace {

template <typename T, bool Normal>
__global__ void __launch_bounds__(kThreads)
    philox_fill_kernel(T* __restrict__ out, uint32_t n, uint64_t seed, uint64_t offset, const uint64_t* offset_base,
                       uint32_t stream_id, double a, double b) {
  if (offset_base) offset += *offset_base;
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    if constexpr (Normal)
      out[i] = static_cast<T>(normal_value(a, b, philox_normal(seed, offset, i, stream_id)));
    else
      out[i] = static_cast<T>(uniform_value(a, b, philox_uniform(seed, offset, i, stream_id)));
  }
}

// Thread q owns elements [4q, 4q + 4): one Philox block. The four philox_dropout_keep calls share
// that block (the compiler sees (4q + l) / 4 = q for a 32-bit q and computes it once).
template <typename T>
__global__ void __launch_bounds__(kThreads)
    dropout_kernel(const T* x, T* y, T* __restrict__ mask, uint32_t n, T keep_scale, uint64_t seed, uint64_t offset,
                   const uint64_t* offset_base, uint32_t stream_id, uint32_t threshold, bool vec) {
  if (offset_base) offset += *offset_base;
  constexpr int V = vec_width<T>();  // 4 floats or 2 doubles per 16-byte access
  const uint32_t blocks = (n + 3) / 4;
  for (uint32_t q = blockIdx.x * blockDim.x + threadIdx.x; q < blocks; q += gridDim.x * blockDim.x) {
    const uint32_t i0 = q * 4;
    const int count = static_cast<int>(min(n - i0, 4u));
    T m[4];
#pragma unroll
    for (int l = 0; l < 4; ++l)
      m[l] = philox_dropout_keep(seed, offset, uint64_t(q) * 4 + uint64_t(l), stream_id, threshold) ? keep_scale
                                                                                                      : T(0);
#pragma unroll
    for (int h = 0; h < 4 / V; ++h) {  // one or two 16-byte units
      const int c = min(count - h * V, V);  // lanes of this unit
      if (c <= 0) break;
      T mv[V];
#pragma unroll
      for (int l = 0; l < V; ++l) mv[l] = m[h * V + l];
      store_unit<T>(mask + i0 + h * V, c, vec, mv);
      if (x) {
        T xv[V], yv[V];
        load_unit<T>(x + i0 + h * V, c, vec, xv);
#pragma unroll
        for (int l = 0; l < V; ++l) yv[l] = xv[l] * mv[l];
        store_unit<T>(y + i0 + h * V, c, vec, yv);
      }
    }
  }
}

template <typename T, bool Normal>
void launch_fill(const char* fn, T* out, int64_t n, uint64_t seed, uint64_t offset, const uint64_t* offset_base,
                 uint32_t stream_id, double a, double b, void* stream) {
  check_count(fn, n, NStr{n});
  if (n == 0) return;
  const dim3 grid(blocks_for(n));
  philox_fill_kernel<T, Normal><<<grid, kThreads, 0, as_stream(stream)>>>(out, static_cast<uint32_t>(n), seed,
                                                                          offset, offset_base, stream_id, a, b);
  check_launch(Normal ? "normal_fill_kernel" : "uniform_fill_kernel", type_name<T>(), grid, NStr{n});
}

}  // namespace

template <typename T>
void normal_fill(T* out, int64_t n, uint64_t seed, uint64_t offset, const uint64_t* offset_base, uint32_t stream_id,
                 double mean, double std, void* stream) {
  launch_fill<T, true>("normal_fill", out, n, seed, offset, offset_base, stream_id, mean, std, stream);
}

template <typename T>
void uniform_fill(T* out, int64_t n, uint64_t seed, uint64_t offset, const uint64_t* offset_base, uint32_t stream_id,
                  double low, double high, void* stream) {
  launch_fill<T, false>("uniform_fill", out, n, seed, offset, offset_base, stream_id, low, high, stream);
}

template <typename T>
void dropout_forward(int64_t n, const T* x, T* y, T* mask, T keep_scale, uint64_t seed, uint64_t offset,
                     const uint64_t* offset_base, uint32_t stream_id, uint32_t threshold, void* stream) {
  check_count("dropout_forward", n, NStr{n});
  if (n == 0) return;
  if (!mask || (x == nullptr) != (y == nullptr))
    bad_args("dropout_forward", NStr{n}(), "mask must be set, and x and y both set or both null");
  const dim3 grid(blocks_for(ceil_div(n, 4)));
  const bool vec = aligned16(mask) && (!x || (aligned16(x) && aligned16(y)));
  dropout_kernel<T><<<grid, kThreads, 0, as_stream(stream)>>>(x, y, mask, static_cast<uint32_t>(n), keep_scale, seed,
                                                              offset, offset_base, stream_id, threshold, vec);
  check_launch("dropout_kernel", type_name<T>(), grid, NStr{n});
}

template void normal_fill<float>(float*, int64_t, uint64_t, uint64_t, const uint64_t*, uint32_t, double, double, void*);
template void normal_fill<double>(double*, int64_t, uint64_t, uint64_t, const uint64_t*, uint32_t, double, double, void*);
template void uniform_fill<float>(float*, int64_t, uint64_t, uint64_t, const uint64_t*, uint32_t, double, double, void*);
template void uniform_fill<double>(double*, int64_t, uint64_t, uint64_t, const uint64_t*, uint32_t, double, double, void*);
template void dropout_forward<float>(int64_t, const float*, float*, float*, float, uint64_t, uint64_t, const uint64_t*, uint32_t,
                                          uint32_t, void*);
template void dropout_forward<double>(int64_t, const double*, double*, double*, double, uint64_t, uint64_t, const uint64_t*,
                                           uint32_t, uint32_t, void*);

}  // namespace aafgan::kernels::cuda
