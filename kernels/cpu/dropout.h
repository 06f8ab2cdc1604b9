#pragma once
// The dropout mask and output in one pass: y = x·mask with mask[i] = keep_scale or 0, drawn by
// kernels/philox.h's philox_dropout_keep (four elements per Philox block). The CUDA kernel
// draws the same bits, so a seed gives the same mask on both devices.
#include <cstdint>

namespace aafgan::kernels::cpu {

template <typename T>
void dropout_forward(int64_t n, const T* x, T* y, T* mask, T keep_scale, uint64_t seed, uint64_t offset,
                     uint32_t stream, uint32_t threshold);

}  // namespace aafgan::kernels::cpu
