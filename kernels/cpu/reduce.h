#pragma once
// defines: sum_all, sum_dim, sum_to
//
// CPU twins of kernels/cuda/reduce.h: the sum of all elements, the sum over one dimension,
// and sum_to (a broadcast gradient summed back to its operand's shape). Sums of f32 run in
// double and round once; each output adds its terms in ascending order. The CUDA functions
// take a workspace and a stream besides. Host pointers.
#include <cstdint>

namespace aafgan::kernels::cpu {

// *out = Σ x[0 .. n).
template <typename T>
void sum_all(const T* x, T* out, int64_t n);

// out [outer, inner] = Σ over the middle dimension of x [outer, size, inner].
template <typename T>
void sum_dim(const T* x, T* out, int64_t outer, int64_t size, int64_t inner);

// out (t_dims) = g (g_dims) summed over the dimensions t broadcasts along (t_dims aligned to the
// trailing dims of g; 1 where broadcast). Overwrites out.
template <typename T>
void sum_to(const T* g, T* out, int g_ndim, const int64_t* g_dims, int t_ndim, const int64_t* t_dims);

}  // namespace aafgan::kernels::cpu
