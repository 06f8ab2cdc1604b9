#pragma once
// The losses on a GPU (kernels/cuda/loss.h), called by engine/ops/loss.cpp after its checks.
// Unlike the CPU ops they cannot reject a prediction outside [0, 1] or a bad label without a
// device-to-host copy: such an input gives a NaN loss, which the trainer reports as divergence.
#include "engine/tensor.h"

namespace aafgan::detail {

Tensor binary_cross_entropy_cuda(const Tensor& p, const Tensor& target);
Tensor log_softmax_cuda(const Tensor& x);
Tensor nll_loss_cuda(const Tensor& logp, const Tensor& labels);

}  // namespace aafgan::detail
