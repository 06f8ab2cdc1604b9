#include "kernels/cpu/step_stats.h"

#include "kernels/math/step_stats.h"

namespace aafgan::kernels::cpu {

template <typename T>
void step_stats(const T* d_loss, const T* g_loss, const T* p_real, const T* p_fake, int64_t n, double* stats) {
  double correct = 0, sum_real = 0, sum_fake = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(p_real[i]);
    correct += v > 0.5;
    sum_real += v;
  }
  for (int64_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(p_fake[i]);
    correct += v <= 0.5;
    sum_fake += v;
  }
  step_stats_update(stats, static_cast<double>(*d_loss), static_cast<double>(*g_loss), correct, sum_real, sum_fake,
                    n);
}

template void step_stats<float>(const float*, const float*, const float*, const float*, int64_t, double*);
template void step_stats<double>(const double*, const double*, const double*, const double*, int64_t, double*);

}  // namespace aafgan::kernels::cpu
