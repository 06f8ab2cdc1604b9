#pragma once
// defines: step_stats
//
// CPU twin of kernels/cuda/step_stats.h: one adversarial step's losses and D outputs folded
// into the running statistics of kernels/math/step_stats.h. Host pointers.
#include <cstdint>

namespace aafgan::kernels::cpu {

// stats [kStepStatCount] (double); d_loss, g_loss one element each; p_real, p_fake [n].
template <typename T>
void step_stats(const T* d_loss, const T* g_loss, const T* p_real, const T* p_fake, int64_t n, double* stats);

}  // namespace aafgan::kernels::cpu
