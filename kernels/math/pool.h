#pragma once
// The geometry of k×k pooling (max_pool2d, avg_pool2d) that both backends and the engine ops
// use: the stride rule, the output size, and each output cell's window clipped to the input.
// Floor mode, zero padding p on every side (0 ≤ 2p ≤ k).
#include <cstdint>

#include "kernels/math/hd.h"

namespace aafgan::kernels {

// A stride of 0 means the kernel size.
AAFGAN_HD int64_t pool_stride(int64_t kernel, int64_t stride) { return stride == 0 ? kernel : stride; }

// Output rows (or columns) of an input of `size`: (size + 2p − k)/s + 1.
AAFGAN_HD int64_t pool_out_size(int64_t size, int64_t k, int64_t s, int64_t p) { return (size + 2 * p - k) / s + 1; }

// One output cell's window clipped to the input ([h0, h1) × [w0, w1): padded cells take no
// part), and what avg_pool2d divides its sum by. I is the index type: int64_t on the CPU, int in
// the CUDA kernels (sizes + padding < 2^31, checked on the host); the values are the same.
template <typename I>
struct PoolWindowOf {
  I h0, h1, w0, w1;
  int64_t divisor;
};
using PoolWindow = PoolWindowOf<int64_t>;

// PyTorch's rule: with count_include_pad the divisor counts the padded cells the window covers
// (in floor mode with padding ≤ k/2 that is always k·k); without, only the input cells.
template <typename I>
AAFGAN_HD PoolWindowOf<I> pool_window(I r, I q, I k, I s, I p, I h, I w, bool count_include_pad) {
  const I h0 = r * s - p, w0 = q * s - p;
  const I h1 = h0 + k < h + p ? h0 + k : h + p, w1 = w0 + k < w + p ? w0 + k : w + p;
  PoolWindowOf<I> win{h0 > 0 ? h0 : I(0), h1 < h ? h1 : h, w0 > 0 ? w0 : I(0), w1 < w ? w1 : w, 0};
  win.divisor = count_include_pad ? static_cast<int64_t>(h1 - h0) * (w1 - w0)
                                  : static_cast<int64_t>(win.h1 - win.h0) * (win.w1 - win.w0);
  return win;
}

}  // namespace aafgan::kernels
