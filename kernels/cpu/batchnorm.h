#pragma once
// defines: batch_norm_forward_training, batch_norm_forward_inference, batch_norm_backward
//
// CPU twin of kernels/cuda/batchnorm.h: spatial batch normalisation of x viewed as [n, c, s]
// (s = H·W for [N, C, H, W], 1 for [N, C]), with PyTorch's semantics: training normalises with
// the batch mean and biased variance and updates the running statistics with the unbiased one;
// inference uses the running statistics. Statistics are computed in double; the saved [c]
// arrays (mean, invstd = 1/sqrt(var + eps)) are rounded to T, but the training backward
// recomputes them in double from x, so its results do not depend on that rounding. weight and
// bias may be null (1 and 0); running_mean/var may be null in training (not tracked). Host
// pointers; the CUDA functions run on the context stream.
#include <cstdint>

#include "kernels/math/batchnorm.h"

namespace aafgan::kernels::cpu {

template <typename T>
void batch_norm_forward_training(int64_t n, int64_t c, int64_t s, const T* x, T* y, const T* weight, const T* bias,
                                 T* running_mean, T* running_var, double momentum, double eps, T* save_mean,
                                 T* save_invstd);

// Throws std::invalid_argument when running_var + eps is not positive.
template <typename T>
void batch_norm_forward_inference(int64_t n, int64_t c, int64_t s, const T* x, T* y, const T* weight, const T* bias,
                                  const T* running_mean, const T* running_var, double eps, T* save_mean = nullptr,
                                  T* save_invstd = nullptr);

// gx, gweight, gbias (each skipped when null) for upstream gy; batch_stats = training (the
// statistics depend on x), else the saved statistics of an inference forward are constants.
template <typename T>
void batch_norm_backward(int64_t n, int64_t c, int64_t s, const T* x, const T* gy, const T* weight,
                         const T* save_mean, const T* save_invstd, double eps, bool batch_stats, T* gx, T* gweight,
                         T* gbias, WriteMode mode);

}  // namespace aafgan::kernels::cpu
