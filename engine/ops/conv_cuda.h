#pragma once
// conv2d and conv_transpose2d on a GPU (cuDNN through kernels/cuda/cudnn_conv.h), called by
// engine/ops/conv.cpp after its shape checks; each records its own backward.
#include "engine/ops.h"

namespace aafgan::detail {

Tensor conv2d_cuda(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p);
Tensor conv_transpose2d_cuda(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p);

}  // namespace aafgan::detail
