#include "kernels/cpu/optim.h"

#include "kernels/cpu/parallel.h"

namespace aafgan::kernels::cpu {

template <typename T>
void adam_step_multi(const AdamTensor<T>* tensors, int64_t count) {
  // One tensor after another, each its own parallel loop: the GPU batches tensors only to save
  // launches, which cost nothing here.
  for (int64_t t = 0; t < count; ++t) {
    const AdamTensor<T>& a = tensors[t];
    const AdamCoeffs<T> c = adam_coeffs(a);
    parallel_for(a.numel, [&](int64_t i) { adam_update(a.param[i], a.grad[i], a.exp_avg[i], a.exp_avg_sq[i], c); });
  }
}

template <typename T>
void sgd_step(int64_t n, T* param, const T* grad, T* momentum_buffer, const SgdCoeffs<T>& c) {
  if (momentum_buffer)
    parallel_for(n, [&](int64_t i) { sgd_update(param[i], grad[i], momentum_buffer + i, c); });
  else
    parallel_for(n, [&](int64_t i) { sgd_update(param[i], grad[i], static_cast<T*>(nullptr), c); });
}

template <typename T>
void adadelta_step(int64_t n, T* param, const T* grad, T* square_avg, T* acc_delta, const AdadeltaCoeffs<T>& c) {
  parallel_for(n, [&](int64_t i) { adadelta_update(param[i], grad[i], square_avg[i], acc_delta[i], c); });
}

template void adam_step_multi<float>(const AdamTensor<float>*, int64_t);
template void adam_step_multi<double>(const AdamTensor<double>*, int64_t);
template void sgd_step<float>(int64_t, float*, const float*, float*, const SgdCoeffs<float>&);
template void sgd_step<double>(int64_t, double*, const double*, double*, const SgdCoeffs<double>&);
template void adadelta_step<float>(int64_t, float*, const float*, float*, float*, const AdadeltaCoeffs<float>&);
template void adadelta_step<double>(int64_t, double*, const double*, double*, double*, const AdadeltaCoeffs<double>&);

}  // namespace aafgan::kernels::cpu
