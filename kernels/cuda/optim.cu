// Optimizer steps (see optim.h). Every element is updated alone by the shared formula, so the
// results do not depend on the launch; 16-byte accesses are used where a tensor's arrays are
// all aligned.

#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/optim.h"

namespace aafgan::kernels::cuda {

using namespace ops_detail;

namespace {

// The descriptors of one multi-tensor launch: block b updates chunk b − block_start[j] of tensor
// j, where block_start[j] ≤ b < block_start[j + 1]. Bit j of vec_mask: tensor j's four arrays are
// 16-byte aligned.
template <typename T>
struct AdamBatch {
  AdamTensor<T> t[kAdamTensorsPerLaunch];
  uint32_t block_start[kAdamTensorsPerLaunch + 1];
  int count;
  uint32_t vec_mask;
};
static_assert(sizeof(AdamBatch<double>) <= 4000, "kernel parameters are limited to 4 KiB");
static_assert(kAdamChunk % 4 == 0, "chunks must start on 16-byte units");

template <typename T>
__global__ void __launch_bounds__(kThreads) adam_multi_kernel(AdamBatch<T> b) {
  constexpr int V = vec_width<T>();
  const uint32_t blk = blockIdx.x;
  int j = 0;
  while (j + 1 < b.count && b.block_start[j + 1] <= blk) ++j;
  T* __restrict__ param = b.t[j].param;
  const T* __restrict__ grad = b.t[j].grad;
  T* __restrict__ m = b.t[j].exp_avg;
  T* __restrict__ v = b.t[j].exp_avg_sq;
  const uint32_t n = static_cast<uint32_t>(b.t[j].numel);
  const AdamCoeffs<T> c = adam_coeffs(b.t[j]);
  const bool vec = (b.vec_mask >> j) & 1u;
  const uint32_t begin = (blk - b.block_start[j]) * static_cast<uint32_t>(kAdamChunk);
  const uint32_t len = min(static_cast<uint32_t>(kAdamChunk), n - begin);
  const uint32_t units = (len + V - 1) / V;
  for (uint32_t u = threadIdx.x; u < units; u += kThreads) {
    const uint32_t i0 = begin + u * V;
    const int count = static_cast<int>(min(len - u * V, uint32_t(V)));
    T pv[V], gv[V], mv[V], vv[V];
    load_unit<T>(param + i0, count, vec, pv);
    load_unit<T>(grad + i0, count, vec, gv);
    load_unit<T>(m + i0, count, vec, mv);
    load_unit<T>(v + i0, count, vec, vv);
#pragma unroll
    for (int l = 0; l < V; ++l) adam_update(pv[l], gv[l], mv[l], vv[l], c);
    store_unit<T>(param + i0, count, vec, pv);
    store_unit<T>(m + i0, count, vec, mv);
    store_unit<T>(v + i0, count, vec, vv);
  }
}

template <typename T, bool Momentum>
__global__ void __launch_bounds__(kThreads)
    sgd_kernel(T* __restrict__ param, const T* __restrict__ grad, T* __restrict__ buf, uint32_t n, SgdCoeffs<T> c,
               bool vec) {
  constexpr int V = vec_width<T>();
  const uint32_t units = (n + V - 1) / V;
  for (uint32_t u = blockIdx.x * blockDim.x + threadIdx.x; u < units; u += gridDim.x * blockDim.x) {
    const uint32_t i0 = u * V;
    const int count = static_cast<int>(min(n - i0, uint32_t(V)));
    T pv[V], gv[V], bv[V];
    load_unit<T>(param + i0, count, vec, pv);
    load_unit<T>(grad + i0, count, vec, gv);
    if constexpr (Momentum) load_unit<T>(buf + i0, count, vec, bv);
#pragma unroll
    for (int l = 0; l < V; ++l) sgd_update(pv[l], gv[l], Momentum ? &bv[l] : static_cast<T*>(nullptr), c);
    store_unit<T>(param + i0, count, vec, pv);
    if constexpr (Momentum) store_unit<T>(buf + i0, count, vec, bv);
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    adadelta_kernel(T* __restrict__ param, const T* __restrict__ grad, T* __restrict__ sq, T* __restrict__ acc,
                    uint32_t n, AdadeltaCoeffs<T> c, bool vec) {
  constexpr int V = vec_width<T>();
  const uint32_t units = (n + V - 1) / V;
  for (uint32_t u = blockIdx.x * blockDim.x + threadIdx.x; u < units; u += gridDim.x * blockDim.x) {
    const uint32_t i0 = u * V;
    const int count = static_cast<int>(min(n - i0, uint32_t(V)));
    T pv[V], gv[V], sv[V], av[V];
    load_unit<T>(param + i0, count, vec, pv);
    load_unit<T>(grad + i0, count, vec, gv);
    load_unit<T>(sq + i0, count, vec, sv);
    load_unit<T>(acc + i0, count, vec, av);
#pragma unroll
    for (int l = 0; l < V; ++l) adadelta_update(pv[l], gv[l], sv[l], av[l], c);
    store_unit<T>(param + i0, count, vec, pv);
    store_unit<T>(sq + i0, count, vec, sv);
    store_unit<T>(acc + i0, count, vec, av);
  }
}

template <typename T>
void launch_adam(AdamBatch<T>& b, int used, uint32_t blocks, int64_t first, cudaStream_t s) {
  b.count = used;
  b.block_start[used] = blocks;
  const dim3 grid(blocks);
  adam_multi_kernel<T><<<grid, kThreads, 0, s>>>(b);
  check_launch("adam_multi_kernel", type_name<T>(), grid, [&] {
    return "tensors " + std::to_string(first) + " to " + std::to_string(first + used - 1) + " of the step, " +
           std::to_string(blocks) + " chunks of " + std::to_string(kAdamChunk);
  });
}

}  // namespace

template <typename T>
void adam_step_multi(const AdamTensor<T>* tensors, int64_t count, void* stream) {
  if (count < 0) bad_args("adam_step_multi", "count=" + std::to_string(count), "negative count");
  if (count > 0 && !tensors) bad_args("adam_step_multi", "count=" + std::to_string(count), "tensors is null");
  const cudaStream_t s = as_stream(stream);
  AdamBatch<T> b{};
  int used = 0;
  uint32_t blocks = 0;
  int64_t first = 0;  // index in `tensors` of the batch's first entry, for messages
  for (int64_t i = 0; i < count; ++i) {
    const AdamTensor<T>& d = tensors[i];
    const auto sizes = [&] { return "tensor " + std::to_string(i) + ": numel=" + std::to_string(d.numel); };
    check_count("adam_step_multi", d.numel, sizes);
    if (d.numel == 0) continue;
    if (!d.param || !d.grad || !d.exp_avg || !d.exp_avg_sq)
      bad_args("adam_step_multi", sizes(), "a parameter, gradient or state pointer is null");
    if (used == kAdamTensorsPerLaunch) {
      launch_adam<T>(b, used, blocks, first, s);
      b = AdamBatch<T>{};
      used = 0;
      blocks = 0;
    }
    if (used == 0) first = i;
    b.t[used] = d;
    b.block_start[used] = blocks;
    blocks += static_cast<uint32_t>(ceil_div(d.numel, kAdamChunk));
    if (aligned16(d.param) && aligned16(d.grad) && aligned16(d.exp_avg) && aligned16(d.exp_avg_sq))
      b.vec_mask |= 1u << used;
    ++used;
  }
  if (used > 0) launch_adam<T>(b, used, blocks, first, s);
}

template <typename T>
void sgd_step(int64_t n, T* param, const T* grad, T* momentum_buffer, const SgdCoeffs<T>& c, void* stream) {
  check_count("sgd_step", n, NStr{n});
  if (n == 0) return;
  const dim3 grid(blocks_for(ceil_div(n, vec_width<T>())));
  const bool vec = aligned16(param) && aligned16(grad) && (!momentum_buffer || aligned16(momentum_buffer));
  if (momentum_buffer) {
    sgd_kernel<T, true><<<grid, kThreads, 0, as_stream(stream)>>>(param, grad, momentum_buffer,
                                                                  static_cast<uint32_t>(n), c, vec);
    check_launch("sgd_momentum_kernel", type_name<T>(), grid, NStr{n});
  } else {
    sgd_kernel<T, false><<<grid, kThreads, 0, as_stream(stream)>>>(param, grad, nullptr, static_cast<uint32_t>(n), c,
                                                                   vec);
    check_launch("sgd_kernel", type_name<T>(), grid, NStr{n});
  }
}

template <typename T>
void adadelta_step(int64_t n, T* param, const T* grad, T* square_avg, T* acc_delta, const AdadeltaCoeffs<T>& c,
                        void* stream) {
  check_count("adadelta_step", n, NStr{n});
  if (n == 0) return;
  const dim3 grid(blocks_for(ceil_div(n, vec_width<T>())));
  const bool vec = aligned16(param) && aligned16(grad) && aligned16(square_avg) && aligned16(acc_delta);
  adadelta_kernel<T><<<grid, kThreads, 0, as_stream(stream)>>>(param, grad, square_avg, acc_delta,
                                                               static_cast<uint32_t>(n), c, vec);
  check_launch("adadelta_kernel", type_name<T>(), grid, NStr{n});
}

template void adam_step_multi<float>(const AdamTensor<float>*, int64_t, void*);
template void adam_step_multi<double>(const AdamTensor<double>*, int64_t, void*);
template void sgd_step<float>(int64_t, float*, const float*, float*, const SgdCoeffs<float>&, void*);
template void sgd_step<double>(int64_t, double*, const double*, double*, const SgdCoeffs<double>&, void*);
template void adadelta_step<float>(int64_t, float*, const float*, float*, float*, const AdadeltaCoeffs<float>&,
                                        void*);
template void adadelta_step<double>(int64_t, double*, const double*, double*, double*,
                                         const AdadeltaCoeffs<double>&, void*);

}  // namespace aafgan::kernels::cuda
