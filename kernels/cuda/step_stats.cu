#include "kernels/cuda/step_stats.h"

#include "kernels/cuda/common.cuh"
#include "kernels/math/step_stats.h"

namespace aafgan::kernels::cuda {

using namespace ops_detail;

namespace {

template <typename T>
__global__ void __launch_bounds__(kThreads)
    step_stats_kernel(const T* d_loss, const T* g_loss, const T* p_real, const T* p_fake, uint32_t n, double* stats) {
  double correct = 0, sum_real = 0, sum_fake = 0;
  for (uint32_t i = threadIdx.x; i < n; i += kThreads) {
    const double r = static_cast<double>(p_real[i]), f = static_cast<double>(p_fake[i]);
    correct += (r > 0.5) + (f <= 0.5);
    sum_real += r;
    sum_fake += f;
  }
  correct = block_sum(correct);
  sum_real = block_sum(sum_real);
  sum_fake = block_sum(sum_fake);
  if (threadIdx.x == 0)
    step_stats_update(stats, static_cast<double>(*d_loss), static_cast<double>(*g_loss), correct, sum_real, sum_fake,
                      static_cast<int64_t>(n));
}

}  // namespace

template <typename T>
void step_stats(const T* d_loss, const T* g_loss, const T* p_real, const T* p_fake, int64_t n, double* stats,
                void* stream) {
  const auto sizes = [&] { return "n=" + std::to_string(n); };
  check_count("step_stats", n, sizes);
  if (n == 0) bad_args("step_stats", sizes(), "an empty batch");
  if (!d_loss || !g_loss || !p_real || !p_fake || !stats) bad_args("step_stats", sizes(), "a null pointer");
  step_stats_kernel<T><<<1, kThreads, 0, as_stream(stream)>>>(d_loss, g_loss, p_real, p_fake,
                                                              static_cast<uint32_t>(n), stats);
  check_launch("step_stats_kernel", type_name<T>(), dim3(1), sizes);
}

template void step_stats<float>(const float*, const float*, const float*, const float*, int64_t, double*, void*);
template void step_stats<double>(const double*, const double*, const double*, const double*, int64_t, double*,
                                 void*);

}  // namespace aafgan::kernels::cuda
