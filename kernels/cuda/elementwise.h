#pragma once
// defines: binary, affine, rdiv, fill, fill_from_device, convert, copy_rows, expand_dim
//
// CUDA kernels of the engine's elementwise arithmetic and data movement: broadcasting binary
// ops, affine, rdiv, fills, dtype conversion, the strided row copy of concat and the expansion of
// a reduced dimension (sum's backward). The twins of engine/ops/arithmetic.cpp, shape_ops.cpp,
// reduce.cpp (backward) and Tensor::fill_/copy_, with the same formulas (kernels/math/*.h) and
// the same results to the bit: each output element is one correctly rounded operation, or the
// same sequence of them, on both devices.
//
// This header needs no CUDA headers. Pointers are device pointers unless stated; all work is
// enqueued on `stream` (a cudaStream_t; nullptr = the default stream) and nothing synchronises.
// Element counts must fit 32-bit indices (at most 2^31 − 1), else the call throws; a launch that
// fails throws std::runtime_error naming the kernel and the sizes. A build without the CUDA
// toolkit links kernels/cuda/no_cuda_ops.cpp instead, whose versions throw "this build has no
// CUDA backend". Templates are instantiated for float and double.
#include <cstddef>
#include <cstdint>

#include "kernels/math/elementwise.h"

namespace aafgan::kernels::cuda {

// `index` is the map of a broadcast (kernels/math/broadcast.h), passed by value to the kernel.
// out[o] = a[ia] op b[ib] over the output of `index` (contiguous), a single correctly rounded
// operation per element, as the CPU. Same-shape operands take a flat kernel with 16-byte accesses
// where aligned; a broadcast first merges the dimensions that are contiguous in both operands
// (a per-feature operand over a batch becomes [rows, features]), then each thread finds its
// operands' elements from its output index. out may be a (or b) when that operand has the
// output's shape (in-place updates).
template <typename T>
void binary(BinaryOp op, const T* a, const T* b, T* out, const BroadcastIndex& index, void* stream);

// y = T(scale)·x + T(shift), each operation rounded (no FMA), as the CPU's affine. y may be x.
template <typename T>
void affine(const T* x, T* y, int64_t n, double scale, double shift, void* stream);

// y = T(s) / x. y may be x.
template <typename T>
void rdiv(double s, const T* x, T* y, int64_t n, void* stream);

// out[i] = T(value) (Tensor::fill_).
template <typename T>
void fill(T* out, int64_t n, double value, void* stream);

// out[i] = *value, `value` a device pointer to one element: sum's backward (Tensor::full of the
// upstream gradient) without reading it on the host.
template <typename T>
void fill_from_device(T* out, int64_t n, const T* value, void* stream);

// dst[i] = D(src[i]): f32 → f64 exactly, f64 → f32 rounded to nearest even (Tensor::to/copy_).
// Instantiated for <float, double> and <double, float>; same-type copies are cudaMemcpyAsync's.
template <typename S, typename D>
void convert(const S* src, D* dst, int64_t n, void* stream);

// `rows` rows of `row_bytes` bytes each: row r goes from src + r·src_pitch to dst + r·dst_pitch
// (all in bytes). concat copies each input [outer, width·inner] into its column slice of the
// output this way, and its backward copies the slice back out. The regions must not overlap.
// Moves 16, 8, 4, 2 or 1 bytes at a time: the widest that divides both pointers, both pitches
// and row_bytes.
void copy_rows(void* dst, int64_t dst_pitch, const void* src, int64_t src_pitch, int64_t rows,
                    int64_t row_bytes, void* stream);

// gx[(o·size + k)·inner + i] = g[o·inner + i]: sum(x, dim)'s backward, x viewed as
// [outer, size, inner].
template <typename T>
void expand_dim(const T* g, T* gx, int64_t outer, int64_t size, int64_t inner, void* stream);

extern template void binary<float>(BinaryOp, const float*, const float*, float*, const BroadcastIndex&, void*);
extern template void binary<double>(BinaryOp, const double*, const double*, double*, const BroadcastIndex&,
                                         void*);
extern template void affine<float>(const float*, float*, int64_t, double, double, void*);
extern template void affine<double>(const double*, double*, int64_t, double, double, void*);
extern template void rdiv<float>(double, const float*, float*, int64_t, void*);
extern template void rdiv<double>(double, const double*, double*, int64_t, void*);
extern template void fill<float>(float*, int64_t, double, void*);
extern template void fill<double>(double*, int64_t, double, void*);
extern template void fill_from_device<float>(float*, int64_t, const float*, void*);
extern template void fill_from_device<double>(double*, int64_t, const double*, void*);
extern template void convert<float, double>(const float*, double*, int64_t, void*);
extern template void convert<double, float>(const double*, float*, int64_t, void*);
extern template void expand_dim<float>(const float*, float*, int64_t, int64_t, int64_t, void*);
extern template void expand_dim<double>(const double*, double*, int64_t, int64_t, int64_t, void*);

}  // namespace aafgan::kernels::cuda
