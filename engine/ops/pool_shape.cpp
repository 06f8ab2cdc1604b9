#include "engine/ops/pool_shape.h"

#include <string>

#include "base/error.h"
#include "kernels/math/pool.h"

namespace aafgan {

void check_nchw(const char* op, const Tensor& x) {
  AAFGAN_CHECK(x.defined() && x.ndim() == 4, "{}: input {} must be [N, C, H, W]", op,
               x.defined() ? x.str() : std::string("(undefined)"));
}

PoolShape check_pool(const char* op, const Tensor& x, int kernel, int stride, int padding) {
  check_nchw(op, x);
  AAFGAN_CHECK(kernel > 0, "{}: kernel {} must be positive", op, kernel);
  AAFGAN_CHECK(stride >= 0, "{}: stride {} must not be negative (0 means the kernel size)", op, stride);
  // Beyond k/2 a window could lie wholly in the padding and have nothing to pool: PyTorch
  // refuses it too.
  AAFGAN_CHECK(padding >= 0 && 2 * padding <= kernel, "{}: padding {} must be in [0, kernel/2] (kernel {})", op,
               padding, kernel);
  const int k = kernel, s = static_cast<int>(kernels::pool_stride(kernel, stride)), p = padding;
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  AAFGAN_CHECK(h + 2 * p >= k && w + 2 * p >= k, "{}: kernel {}x{} is larger than input {} padded by {}", op, k, k,
               x.str(), p);
  return {k, s, p, Shape{n, c, kernels::pool_out_size(h, k, s, p), kernels::pool_out_size(w, k, s, p)}};
}

}  // namespace aafgan
