#pragma once
// defines: adam_step_multi, sgd_step, adadelta_step
//
// CPU twins of kernels/cuda/optim.h: the optimizer steps, each element updated by the
// formulas of kernels/math/optim.h (adam_update, sgd_update, adadelta_update) with the
// coefficients the engine precomputes. Host pointers; gradients are only read.
#include <cstdint>

#include "kernels/math/optim.h"

namespace aafgan::kernels::cpu {

// Every tensor of the list in one call (on the GPU: one launch per kAdamTensorsPerLaunch).
template <typename T>
void adam_step_multi(const AdamTensor<T>* tensors, int64_t count);

// momentum_buffer is null when momentum is 0 (plain SGD keeps no state).
template <typename T>
void sgd_step(int64_t n, T* param, const T* grad, T* momentum_buffer, const SgdCoeffs<T>& c);

template <typename T>
void adadelta_step(int64_t n, T* param, const T* grad, T* square_avg, T* acc_delta, const AdadeltaCoeffs<T>& c);

}  // namespace aafgan::kernels::cpu
