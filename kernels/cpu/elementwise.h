#pragma once
// defines: binary, affine, rdiv, fill, fill_from_device, convert, copy_rows, expand_dim
//
// CPU twins of kernels/cuda/elementwise.h: broadcasting binary arithmetic, the scalar maps
// affine and rdiv, fills, dtype conversion, strided row copies and the expansion that undoes a
// sum over one dimension. Formulas in kernels/math/elementwise.h; same names and arguments as
// the CUDA functions, less the stream. Host pointers.
#include <cstdint>

#include "kernels/math/broadcast.h"
#include "kernels/math/elementwise.h"

namespace aafgan::kernels::cpu {

// out[o] = a[ia] op b[ib] over the output of `index` (contiguous). out may be a (or b) when that
// operand has the output's shape.
template <typename T>
void binary(BinaryOp op, const T* a, const T* b, T* out, const BroadcastIndex& index);

// y = T(scale)·x + T(shift), each operation rounded (no FMA). y may be x.
template <typename T>
void affine(const T* x, T* y, int64_t n, double scale, double shift);

// y = T(s) / x. y may be x.
template <typename T>
void rdiv(double s, const T* x, T* y, int64_t n);

// out[0 .. n) = T(value).
template <typename T>
void fill(T* out, int64_t n, double value);

// out[0 .. n) = *value, one element in the same memory as out (the CUDA twin reads it on the
// device, so filling from a loss gradient needs no read-back).
template <typename T>
void fill_from_device(T* out, int64_t n, const T* value);

// dst[i] = D(src[i]).
template <typename S, typename D>
void convert(const S* src, D* dst, int64_t n);

// `rows` rows of `row_bytes`: row r from src + r·src_pitch to dst + r·dst_pitch (bytes).
void copy_rows(void* dst, int64_t dst_pitch, const void* src, int64_t src_pitch, int64_t rows, int64_t row_bytes);

// gx [outer, size, inner] = g [outer, inner] repeated along the middle dimension.
template <typename T>
void expand_dim(const T* g, T* gx, int64_t outer, int64_t size, int64_t inner);

}  // namespace aafgan::kernels::cpu
