#pragma once
// defines: step_stats
//
// One adversarial step's losses and D outputs folded into the running statistics of
// kernels/math/step_stats.h, on the device, so that a training step needs no device→host copy.
// One block: D's outputs are one value per sample (a batch, ≤ a few thousand). The sums of D's
// outputs add in a fixed tree (the CPU adds them in order: equal to double rounding); the count
// of correct answers and every sum over steps are exact or in the CPU's order.
// No CUDA headers; device pointers; nothing synchronises; capturable into a CUDA graph.
#include <cstdint>

namespace aafgan::kernels::cuda {

template <typename T>
void step_stats(const T* d_loss, const T* g_loss, const T* p_real, const T* p_fake, int64_t n, double* stats,
                void* stream);

}  // namespace aafgan::kernels::cuda
