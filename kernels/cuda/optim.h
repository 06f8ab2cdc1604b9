#pragma once
// defines: adam_step_multi, sgd_step, adadelta_step
//
// CUDA optimizer steps, the twins of kernels/math/optim.h: each element is updated by the very
// AAFGAN_HD formula the CPU loop calls (adam_update, sgd_update, adadelta_update), with the
// coefficients the engine precomputes in double on the host and rounds to T once (bias
// corrections included), exactly as for the CPU. The gradient is only read (it may be shared).
//
// Agreement with the CPU: the formulas are built from +, −, ·, / and sqrt, correctly rounded on
// both devices, but nvcc contracts a·b + c into one FMA in device code by default while the CPU
// build never does (-ffp-contract=off): an updated value may differ from the CPU's in the last
// bit, and such differences can grow over many steps (relative 1e-7 in f32 per step at most).
// Compiling this file with nvcc -fmad=false would make the steps bit-identical to the CPU's.
//
// Adam runs as one multi-tensor launch for up to kAdamTensorsPerLaunch parameters (more take
// more launches): the tensors' descriptors travel in the kernel's parameter space, so there is no
// host-to-device copy and no synchronisation; each block updates one chunk of kAdamChunk
// elements of one tensor. SGD and Adadelta run one launch per tensor.
//
// No CUDA headers; device pointers (the descriptor array itself is a host array); work on
// `stream` (nullptr = the default stream), nothing synchronises; each tensor at most 2^31 − 1
// elements; failures throw std::runtime_error naming the kernel and the sizes.
#include <cstdint>

#include "kernels/math/optim.h"

namespace aafgan::kernels::cuda {

constexpr int kAdamTensorsPerLaunch = 24;
constexpr int64_t kAdamChunk = 4096;

// Updates every tensor of the host array `tensors` (count entries; those with numel 0 are
// skipped), each element by adam_update.
template <typename T>
void adam_step_multi(const AdamTensor<T>* tensors, int64_t count, void* stream);

// sgd_update over n elements; momentum_buffer is null when momentum is 0 (no state).
template <typename T>
void sgd_step(int64_t n, T* param, const T* grad, T* momentum_buffer, const SgdCoeffs<T>& c,
                   void* stream);

// adadelta_update over n elements.
template <typename T>
void adadelta_step(int64_t n, T* param, const T* grad, T* square_avg, T* acc_delta, const AdadeltaCoeffs<T>& c,
                        void* stream);

extern template void adam_step_multi<float>(const AdamTensor<float>*, int64_t, void*);
extern template void adam_step_multi<double>(const AdamTensor<double>*, int64_t, void*);
extern template void sgd_step<float>(int64_t, float*, const float*, float*, const SgdCoeffs<float>&, void*);
extern template void sgd_step<double>(int64_t, double*, const double*, double*, const SgdCoeffs<double>&, void*);
extern template void adadelta_step<float>(int64_t, float*, const float*, float*, float*,
                                               const AdadeltaCoeffs<float>&, void*);
extern template void adadelta_step<double>(int64_t, double*, const double*, double*, double*,
                                                const AdadeltaCoeffs<double>&, void*);

}  // namespace aafgan::kernels::cuda
