#pragma once
// defines: normal_fill, uniform_fill, dropout_forward
//
// CPU twins of kernels/cuda/random.h: normal and uniform fills and the dropout mask, element i
// of a draw computed from (seed, offset + i, stream_id) alone by kernels/math/random.h, so a
// seed gives the same numbers on both devices. Host pointers.
#include <cstdint>

namespace aafgan::kernels::cpu {

// out[i] = T(mean + std·z_i), z a standard normal.
template <typename T>
void normal_fill(T* out, int64_t n, uint64_t seed, uint64_t offset, uint32_t stream_id, double mean, double std);

// out[i] = T(low + (high − low)·u_i), u uniform in (0, 1].
template <typename T>
void uniform_fill(T* out, int64_t n, uint64_t seed, uint64_t offset, uint32_t stream_id, double low, double high);

// The dropout mask and output in one pass: y = x·mask with mask[i] = keep_scale or 0, element i
// kept when philox_dropout_keep says so (four elements per Philox block).
template <typename T>
void dropout_forward(int64_t n, const T* x, T* y, T* mask, T keep_scale, uint64_t seed, uint64_t offset,
                     uint32_t stream_id, uint32_t threshold);

}  // namespace aafgan::kernels::cpu
