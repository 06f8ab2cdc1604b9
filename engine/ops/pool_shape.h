#pragma once
// The argument checks and output shape that avg_pool2d (avg_pool.cpp) and max_pool2d (pool.cpp)
// share, on the geometry of kernels/math/pool.h that both backends compute with.
#include <cstdint>

#include "engine/tensor.h"

namespace aafgan {

// Throws "<op>: input … must be [N, C, H, W]" unless x is a defined 4-D tensor.
void check_nchw(const char* op, const Tensor& x);

struct PoolShape {
  int k, s, p;  // s: a stride of 0 resolved to the kernel size
  Shape out;    // [N, C, oh, ow]
};

// Checks x (check_nchw), the kernel (positive), the stride (not negative), the padding (in
// [0, kernel/2], as PyTorch) and that the padded plane holds a window; errors name `op`.
PoolShape check_pool(const char* op, const Tensor& x, int kernel, int stride, int padding);

}  // namespace aafgan
