#pragma once
// defines: parallel_for
//
// Elementwise loops run on OpenMP threads once they are long enough to pay for the fork.
#include <cstdint>

namespace aafgan::kernels::cpu {

constexpr int64_t kParallelGrain = 1 << 15;

template <typename Fn>
void parallel_for(int64_t n, Fn&& fn) {
#pragma omp parallel for schedule(static) if (n >= kParallelGrain)
  for (int64_t i = 0; i < n; ++i) fn(i);
}

}  // namespace aafgan::kernels::cpu
