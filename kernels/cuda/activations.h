#pragma once
// defines: act_forward, act_backward_workspace_bytes, act_backward
//
// Fused CUDA kernels of the adaptive activations: the twins of kernels/cpu/activations.h, with
// the same math (kernels/math/activations.h), layout and argument order, plus a stream. This
// header needs no CUDA headers, so plain C++ code can call it.
//
// Layout: x holds n = B·P·inner elements, viewed as [B, P, inner]; element i uses parameter
// slot j = (i / inner) % P. Per-feature parameters ([n] after Linear, [C,H,W] on images) are
// inner = 1; the per-channel [C] mode on [N,C,H,W] is P = C, inner = H·W. Mish has no
// parameters: pass params = nullptr, P = 1.
//
// Pointers: x, y, gy, gx and every params[k] / gparams[k] are device pointers; `params` and
// `gparams` themselves are host arrays of act_param_count(act) such pointers. All work is
// enqueued on `stream` (a cudaStream_t; nullptr = the default stream) and nothing synchronises.
// Launch failures throw std::runtime_error naming the kernel and the sizes. Indices are 32-bit:
// n must stay below 2^31 (8 GiB of f32 in one activation), else the call throws.
#include <cstddef>
#include <cstdint>

#include "kernels/math/activations.h"

namespace aafgan::kernels::cuda {

// y = f(x).
template <typename T>
void act_forward(Act act, Range range, const T* x, T* y, int64_t n, const T* const* params, int64_t P,
                      int64_t inner, void* stream);

// Device bytes of scratch act_backward needs for these sizes (0 when none): the per-block
// partial sums of the parameter gradients. Depends only on the sizes and the element size
// (sizeof(T)), so a caller can size the buffer once per layer.
size_t act_backward_workspace_bytes(Act act, int64_t n, int64_t P, int64_t inner, size_t elem_bytes);

// One pass over the data: gx = gy·f'(x) (skipped when gx is null) and, for each parameter k
// whose gparams[k] is not null, gparams[k][j] = Σ over the elements of slot j of gy·∂f/∂p_k,
// overwritten (not accumulated). The sums run in double, in an order fixed by the sizes and
// sizeof(T) alone (not by the device, nor by the pointers' alignment), without atomics: two
// runs give identical bits.
// `workspace` is a device buffer of at least act_backward_workspace_bytes(...) bytes (it may
// be null when that is 0); it is only used by work enqueued on `stream`.
template <typename T>
void act_backward(Act act, Range range, const T* x, const T* gy, T* gx, T* const* gparams, int64_t n,
                       const T* const* params, int64_t P, int64_t inner, void* workspace, size_t workspace_bytes,
                       void* stream);

extern template void act_forward<float>(Act, Range, const float*, float*, int64_t, const float* const*,
                                             int64_t, int64_t, void*);
extern template void act_forward<double>(Act, Range, const double*, double*, int64_t, const double* const*,
                                              int64_t, int64_t, void*);
extern template void act_backward<float>(Act, Range, const float*, const float*, float*, float* const*,
                                              int64_t, const float* const*, int64_t, int64_t, void*, size_t,
                                              void*);
extern template void act_backward<double>(Act, Range, const double*, const double*, double*, double* const*,
                                               int64_t, const double* const*, int64_t, int64_t, void*, size_t,
                                               void*);

}  // namespace aafgan::kernels::cuda
