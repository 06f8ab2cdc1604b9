#pragma once
// What the two batch-norm backends (kernels/cpu/batchnorm.h, kernels/cuda/batchnorm.h) share:
// the write mode, and their kernels' signatures, listed once for the explicit instantiations.
#include <cstdint>

#include "kernels/math/write_mode.h"

// HOW is `template` or `extern template`, T float or double; used inside the backend's namespace.
#define AAFGAN_BATCH_NORM_KERNELS(HOW, T)                                                                     \
  HOW void batch_norm_forward_training<T>(int64_t, int64_t, int64_t, const T*, T*, const T*, const T*, T*, T*, \
                                          double, double, T*, T*);                                             \
  HOW void batch_norm_forward_inference<T>(int64_t, int64_t, int64_t, const T*, T*, const T*, const T*,        \
                                           const T*, const T*, double, T*, T*);                                \
  HOW void batch_norm_backward<T>(int64_t, int64_t, int64_t, const T*, const T*, const T*, const T*, const T*, \
                                  double, bool, T*, T*, T*, WriteMode);
