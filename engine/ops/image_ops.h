#pragma once
// The image ops Inception-v3 needs beyond engine/ops.h (FID, metrics/): average pooling with
// padding, the global average pool, and bilinear resizing. CPU and CUDA, f32 and f64, recorded on the
// tape like every op. Max pooling with padding is max_pool2d's `padding` argument.
#include "engine/tensor.h"

namespace aafgan {

// x [N, C, H, W]; window k×k, stride s (0 means s = k), zero padding p on every side (at most
// k/2, as PyTorch), floor mode. Each window's sum is divided by k·k when count_include_pad
// (padded zeros count), else by the number of input cells inside the window: PyTorch's
// F.avg_pool2d(x, k, s, p, count_include_pad=…). pytorch-fid's FID Inception blocks use
// 3×3, stride 1, padding 1 with count_include_pad=false, so border means are not diluted.
Tensor avg_pool2d(const Tensor& x, int kernel, int stride = 0, int padding = 0, bool count_include_pad = true);

// x [N, C, H, W] → [N, C, 1, 1], the mean of each plane: F.adaptive_avg_pool2d(x, 1). Sums in
// double, so a 2048-channel f32 pool over 8×8 maps rounds once.
Tensor global_avg_pool2d(const Tensor& x);

// x [N, C, H, W] → [N, C, out_h, out_w] by bilinear interpolation with align_corners=False
// and no antialiasing, exactly F.interpolate(x, (out_h, out_w), mode='bilinear',
// align_corners=False): output pixel i samples the input at (i + 0.5)·H/out_h − 0.5, clamped
// below at 0, from its two neighbours (the last row/column repeats at the edge). Downscaling
// therefore skips pixels (aliasing), as PyTorch does; pytorch-fid relies on that.
Tensor interpolate_bilinear(const Tensor& x, int64_t out_h, int64_t out_w);

}  // namespace aafgan
