#pragma once
// defines: batch_norm_forward_training, batch_norm_forward_inference, batch_norm_backward
//
// Batch normalisation on cuDNN (CUDNN_BATCHNORM_SPATIAL), the GPU twin of engine/ops/batchnorm.cpp
// and kernels/cpu/batchnorm.h. x is viewed as [n, c, s]: s = H·W for [N, C, H, W] inputs and
// s = 1 for [N, C] ones; statistics are per channel over n·s values in both cases (PyTorch's
// BatchNorm1d/2d). The per-channel tensors (weight, bias, running and saved statistics) are
// [c] arrays of the same type T as the data.
//
// Training normalises with the batch mean and the BIASED batch variance, and updates the
// running statistics as PyTorch does: running = (1 − momentum)·running + momentum·batch, with
// the UNBIASED batch variance (n·s/(n·s − 1) times the biased one) going into running_var.
// cuDNN's exponentialAverageFactor is exactly that momentum, and its running variance is the
// unbiased one. Saved statistics are the batch mean and invstd = 1/sqrt(biased var + eps).
//
// All pointers are device pointers; outputs must not overlap inputs. Calls run on the current
// device's context stream, asynchronously. weight and bias may be null (1 and 0). eps must be
// positive and at least CUDNN_BN_MIN_EPSILON, and the same in forward and backward. Errors
// throw std::runtime_error naming the call, the sizes and cuDNN's message. A CUDA build without
// cuDNN throws "this build has no cuDNN"; a build without the toolkit, "no CUDA backend".
#include <cstdint>

#include "kernels/cuda/device_context.h"
#include "kernels/math/batchnorm.h"

namespace aafgan::kernels::cuda {

// y = (x − mean)·invstd·weight + bias with the batch statistics (n·s must exceed 1).
// running_mean and running_var are updated in place when given (both, or neither: statistics
// not tracked). save_mean and save_invstd receive the batch statistics when given (both, or
// neither); batch_norm_backward needs them.
template <typename T>
void batch_norm_forward_training(int64_t n, int64_t c, int64_t s, const T* x, T* y, const T* weight, const T* bias,
                                 T* running_mean, T* running_var, double momentum, double eps, T* save_mean,
                                 T* save_invstd);

// y = (x − running_mean)/sqrt(running_var + eps)·weight + bias. save_mean and save_invstd
// (both, or neither) receive running_mean and 1/sqrt(running_var + eps), the statistics
// batch_norm_backward with batch_stats = false needs. A negative running_var is not checked
// (that would need a device-to-host copy): it gives NaN.
template <typename T>
void batch_norm_forward_inference(int64_t n, int64_t c, int64_t s, const T* x, T* y, const T* weight, const T* bias,
                                  const T* running_mean, const T* running_var, double eps, T* save_mean = nullptr,
                                  T* save_invstd = nullptr);

// Gradients of the forward above for output gradient gy, as kernels/cpu/batch_norm_backward:
// with batch_stats (training) the statistics are functions of x and
// gx = invstd·w·(gy − Σgy/m − x̂·Σ(gy·x̂)/m) (m = n·s); without (eval) they are constants and
// gx = invstd·w·gy. gweight = Σ gy·x̂ and gbias = Σ gy per channel in both cases.
// save_mean/save_invstd are those of the matching forward call (training: may both be null,
// then cuDNN recomputes them from x; eval: required). gx, gweight and gbias may each be null
// when not wanted; `mode` applies to all three. Eval mode sums in double in a fixed order
// (deterministic); training mode is cuDNN's batch-norm backward.
template <typename T>
void batch_norm_backward(int64_t n, int64_t c, int64_t s, const T* x, const T* gy, const T* weight,
                         const T* save_mean, const T* save_invstd, double eps, bool batch_stats, T* gx, T* gweight,
                         T* gbias, WriteMode mode);

AAFGAN_BATCH_NORM_KERNELS(extern template, float)
AAFGAN_BATCH_NORM_KERNELS(extern template, double)

}  // namespace aafgan::kernels::cuda
