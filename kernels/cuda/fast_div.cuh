#pragma once
// n / d for 32-bit n < 2^31 by a run-time constant d, as a multiply-high and a shift (the method
// of Granlund & Montgomery, as in PyTorch's IntDivider): the index math of a memory-bound kernel
// must not cost a hardware division per element. Used by the op kernels (common.cuh) and the
// activation kernels (activations.cu).
#include <cuda_runtime.h>

#include <cstdint>

namespace aafgan::kernels::cuda {

struct FastDiv {
  uint32_t d = 1, magic = 1, shift = 0;
  FastDiv() = default;
  explicit FastDiv(uint32_t divisor) : d(divisor) {
    for (shift = 0; shift < 32; ++shift)
      if ((uint64_t(1) << shift) >= divisor) break;
    const uint64_t m = ((uint64_t(1) << 32) * ((uint64_t(1) << shift) - divisor)) / divisor + 1;
    magic = static_cast<uint32_t>(m);
  }
  __device__ __forceinline__ uint32_t div(uint32_t n) const { return (__umulhi(n, magic) + n) >> shift; }
};

}  // namespace aafgan::kernels::cuda
