#pragma once
// defines: sum_all_workspace_bytes, sum_all, sum_dim_workspace_bytes, sum_dim,
//          sum_to_workspace_bytes, sum_to
//
// Deterministic CUDA sums: all elements, one dimension, and sum_to (a broadcast gradient summed
// back to its operand's shape). The twins of engine/ops/reduce.cpp and arithmetic.cpp's sum_to.
//
// Determinism: no atomics. Which thread adds which elements, and the tree the partial sums are
// combined in, depend on the sizes alone (not on the device, the pointers' alignment or the
// launch), so two calls with the same sizes and inputs give the same bits.
//
// Precision and agreement with the CPU: like the CPU, sum, sum_dim and sum_to's per-feature case
// run in double for f32 and f64 and round to T once. The CPU adds the terms of each output one
// after the other; so does the GPU, one thread per output, when an output has at most 64 terms,
// or when inner > 1 and there are at least 16384 outputs: those results are the CPU's to the
// bit. Longer sums are cut into chunks summed in parallel and combined in a fixed order; they
// differ from the CPU's by double rounding only (about 1e-16 relative to the sum of magnitudes;
// after rounding to f32 almost always the same bits). sum_to's general (non-suffix) case, when a
// target element has at most 64 terms or there are at least 16384 targets, accumulates in T in
// the CPU's order, one thread per target element: identical bits. Longer sums over fewer
// targets (a convolution's bias gradient, [N, C, H, W] to [C, 1, 1]) take blocks per target,
// in chunks, in double with fixed trees: they differ from the CPU's sum in T by the CPU's own
// rounding (up to (terms − 1)·ε_T relative to the sum of magnitudes) and one rounding to T.
//
// Workspaces: the chunked sums keep their partial sums (doubles) in a caller-provided device
// buffer of *_workspace_bytes(...) bytes (0 = none needed; the pointer may then be null). The
// size depends only on the sizes, not on T, so it can be allocated once per shape. The buffer is
// only used by work enqueued on `stream`.
//
// No CUDA headers; device pointers unless stated; nothing synchronises; element counts at most
// 2^31 − 1; failures throw std::runtime_error naming the function or kernel and the sizes.
#include <cstddef>
#include <cstdint>

namespace aafgan::kernels::cuda {

// *out = Σ x[i] (one element; n = 0 gives 0).
size_t sum_all_workspace_bytes(int64_t n);
template <typename T>
void sum_all(const T* x, T* out, int64_t n, void* workspace, size_t workspace_bytes, void* stream);

// x viewed as [outer, size, inner]: out[o·inner + i] = Σ_k x[(o·size + k)·inner + i].
size_t sum_dim_workspace_bytes(int64_t outer, int64_t size, int64_t inner);
template <typename T>
void sum_dim(const T* x, T* out, int64_t outer, int64_t size, int64_t inner, void* workspace,
                  size_t workspace_bytes, void* stream);

// out (target shape, t_ndim dims) = g (g_ndim dims) summed over the dimensions a broadcast of
// target to g's shape expanded, as the CPU's sum_to: when target is g's trailing dimensions
// (a per-feature operand) a sum_dim over the leading rows in double; otherwise as said above;
// equal shapes copy. The dims arrays are
// host arrays; target must broadcast to g's shape (else the call throws).
size_t sum_to_workspace_bytes(int g_ndim, const int64_t* g_dims, int t_ndim, const int64_t* t_dims);
template <typename T>
void sum_to(const T* g, T* out, int g_ndim, const int64_t* g_dims, int t_ndim, const int64_t* t_dims,
                 void* workspace, size_t workspace_bytes, void* stream);

extern template void sum_all<float>(const float*, float*, int64_t, void*, size_t, void*);
extern template void sum_all<double>(const double*, double*, int64_t, void*, size_t, void*);
extern template void sum_dim<float>(const float*, float*, int64_t, int64_t, int64_t, void*, size_t, void*);
extern template void sum_dim<double>(const double*, double*, int64_t, int64_t, int64_t, void*, size_t, void*);
extern template void sum_to<float>(const float*, float*, int, const int64_t*, int, const int64_t*, void*, size_t,
                                        void*);
extern template void sum_to<double>(const double*, double*, int, const int64_t*, int, const int64_t*, void*,
                                         size_t, void*);

}  // namespace aafgan::kernels::cuda
