// Batch normalisation: cuDNN's spatial batch norm for training, inference and the training
// backward; small kernels here for what cuDNN lacks (the eval-mode backward, the statistics
// of the eval forward, the default weight of ones).
#include <cmath>
#include <string>
#include <type_traits>

#include "kernels/cuda/batchnorm.h"
#include "kernels/cuda/cudnn_tensor.h"
#include "kernels/cuda/device_allocator.h"
#include "kernels/cuda/runtime_libs_internal.h"

namespace aafgan::kernels::cuda {

namespace {

using detail::check_cuda;
using detail::check_cudnn;
using detail::cudnn_dtype;
using detail::TensorDesc;
using detail::to_int;

constexpr int kThreads = 256;

template <typename T>
__global__ void fill_kernel(T* p, int64_t n, T value) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    p[i] = value;
}

// mean = running_mean, invstd = 1/sqrt(running_var + eps), per channel.
template <typename T>
__global__ void eval_stats_kernel(const T* running_mean, const T* running_var, double eps, int64_t c, T* mean,
                                  T* invstd) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < c; i += int64_t(gridDim.x) * blockDim.x) {
    mean[i] = running_mean[i];
    invstd[i] = static_cast<T>(1.0 / sqrt(static_cast<double>(running_var[i]) + eps));
  }
}

// The eval-mode backward of kernels/cpu/batchnorm.h (batch_stats = false), one block per
// channel: gx = invstd·w·g, gweight = invstd·Σ g·(x − mean), gbias = Σ g. The sums run in
// double in an order fixed by the sizes alone.
template <typename T>
__global__ void backward_eval_kernel(const T* g, const T* x, int64_t n, int64_t c, int64_t s, const T* mean,
                                     const T* invstd, const T* weight, T* gx, T* gweight, T* gbias, bool accumulate) {
  __shared__ double part_g[kThreads];
  __shared__ double part_gx[kThreads];
  const int64_t ch = blockIdx.x;
  const int64_t count = n * s;
  const double m = static_cast<double>(mean[ch]), is = static_cast<double>(invstd[ch]);
  const double w = weight ? static_cast<double>(weight[ch]) : 1.0;
  const T k = static_cast<T>(is * w);
  const bool sums = gweight != nullptr || gbias != nullptr;
  double sg = 0, sgx = 0;
  for (int64_t e = threadIdx.x; e < count; e += kThreads) {
    const int64_t off = ((e / s) * c + ch) * s + e % s;
    const T gv = g[off];
    if (sums) sg += static_cast<double>(gv);
    if (gweight) sgx += static_cast<double>(gv) * (static_cast<double>(x[off]) - m);  // x is read only here
    if (gx) {
      const T v = k * gv;
      gx[off] = accumulate ? gx[off] + v : v;
    }
  }
  if (!sums) return;  // the same for every thread of the block
  part_g[threadIdx.x] = sg;
  part_gx[threadIdx.x] = sgx;
  __syncthreads();
  for (int stride = kThreads / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < static_cast<unsigned>(stride)) {
      part_g[threadIdx.x] += part_g[threadIdx.x + stride];
      part_gx[threadIdx.x] += part_gx[threadIdx.x + stride];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    if (gweight) {
      const T v = static_cast<T>(part_gx[0] * is);
      gweight[ch] = accumulate ? gweight[ch] + v : v;
    }
    if (gbias) {
      const T v = static_cast<T>(part_g[0]);
      gbias[ch] = accumulate ? gbias[ch] + v : v;
    }
  }
}

// x as [n, c, s, 1] and the derived [1, c, 1, 1] descriptor of the per-channel tensors.
template <typename T>
struct BnDescs {
  TensorDesc x, param;
  BnDescs(int64_t n, int64_t c, int64_t s, const std::string& what) {
    check_cudnn(cudnnSetTensor4dDescriptor(x.get(), CUDNN_TENSOR_NCHW, cudnn_dtype<T>(), to_int(n, "n", what),
                                           to_int(c, "c", what), to_int(s, "s", what), 1),
                "cudnnSetTensor4dDescriptor", what);
    check_cudnn(cudnnDeriveBNTensorDescriptor(param.get(), x.get(), CUDNN_BATCHNORM_SPATIAL),
                "cudnnDeriveBNTensorDescriptor", what);
  }
};

template <typename T>
std::string describe(const char* op, int64_t n, int64_t c, int64_t s, double eps) {
  return std::string(op) + " x [n, c, s] = [" + std::to_string(n) + ", " + std::to_string(c) + ", " +
         std::to_string(s) + "] " + (std::is_same_v<T, float> ? "float32" : "float64") + " eps " +
         detail::format_double(eps);
}

void check_args(const std::string& what, int64_t n, int64_t c, int64_t s, double eps, bool training) {
  if (n < 0 || c <= 0 || s <= 0) throw std::runtime_error(what + ": sizes must be positive (n may be 0 in eval)");
  if (!(eps > 0) || eps < CUDNN_BN_MIN_EPSILON)
    throw std::runtime_error(what + ": eps must be positive and at least CUDNN_BN_MIN_EPSILON = " +
                             detail::format_double(CUDNN_BN_MIN_EPSILON));
  if (training && n * s <= 1)
    throw std::runtime_error(what + ": training needs more than one value per channel (n·s > 1)");
  if (n * c * s > INT32_MAX)
    throw std::runtime_error(what + ": 2^31 or more elements are beyond cuDNN's batch norm; split the batch");
}

void check_pair(const std::string& what, const void* a, const void* b, const char* names) {
  if ((a == nullptr) != (b == nullptr))
    throw std::runtime_error(what + ": " + names + " must both be given or both be null");
}

// `given`, or a [c] buffer of `value` held by `holder`.
template <typename T>
const T* or_constant(const T* given, int64_t c, T value, CachedBuffer& holder, const std::string& what) {
  if (given) return given;
  holder = CachedBuffer(static_cast<size_t>(c) * sizeof(T));
  fill_kernel<T><<<detail::grid_for(c, kThreads), kThreads, 0, detail::stream()>>>(holder.as<T>(), c, value);
  detail::check_launch("fill_kernel", what);
  return holder.as<T>();
}

}  // namespace

template <typename T>
void batch_norm_forward_training(int64_t n, int64_t c, int64_t s, const T* x, T* y, const T* weight, const T* bias,
                                 T* running_mean, T* running_var, double momentum, double eps, T* save_mean,
                                 T* save_invstd) {
  const std::string what = describe<T>("batch_norm forward training", n, c, s, eps);
  check_args(what, n, c, s, eps, true);
  check_pair(what, running_mean, running_var, "running_mean and running_var");
  check_pair(what, save_mean, save_invstd, "save_mean and save_invstd");
  const cudnnHandle_t h = detail::cudnn();
  BnDescs<T> d(n, c, s, what);
  CachedBuffer ones, zeros, scratch;
  const T* w = or_constant<T>(weight, c, T(1), ones, what);
  const T* b = or_constant<T>(bias, c, T(0), zeros, what);
  // Untracked statistics still need somewhere to go.
  if (!running_mean) {
    scratch = CachedBuffer(2 * static_cast<size_t>(c) * sizeof(T));
    check_cuda(cudaMemsetAsync(scratch.get(), 0, scratch.bytes(), detail::stream()), "cudaMemsetAsync",
               what + ": untracked running statistics");
    detail::after_enqueue("cudaMemsetAsync", what + ": untracked running statistics");
    running_mean = scratch.as<T>();
    running_var = scratch.as<T>() + c;
  }
  const T one = 1, zero = 0;
  check_cudnn(cudnnBatchNormalizationForwardTraining(h, CUDNN_BATCHNORM_SPATIAL, &one, &zero, d.x.get(), x,
                                                     d.x.get(), y, d.param.get(), w, b, momentum, running_mean,
                                                     running_var, eps, save_mean, save_invstd),
              "cudnnBatchNormalizationForwardTraining", what + " momentum " + detail::format_double(momentum));
  detail::after_enqueue("cudnnBatchNormalizationForwardTraining", what);
}

template <typename T>
void batch_norm_forward_inference(int64_t n, int64_t c, int64_t s, const T* x, T* y, const T* weight, const T* bias,
                                  const T* running_mean, const T* running_var, double eps, T* save_mean,
                                  T* save_invstd) {
  const std::string what = describe<T>("batch_norm forward inference", n, c, s, eps);
  check_args(what, n, c, s, eps, false);
  check_pair(what, save_mean, save_invstd, "save_mean and save_invstd");
  if (!running_mean || !running_var) throw std::runtime_error(what + ": eval mode needs running_mean and running_var");
  if (save_mean) {
    eval_stats_kernel<T><<<detail::grid_for(c, kThreads), kThreads, 0, detail::stream()>>>(
        running_mean, running_var, eps, c, save_mean, save_invstd);
    detail::check_launch("eval_stats_kernel", what);
  }
  if (n == 0) return;
  const cudnnHandle_t h = detail::cudnn();
  BnDescs<T> d(n, c, s, what);
  CachedBuffer ones, zeros;
  const T* w = or_constant<T>(weight, c, T(1), ones, what);
  const T* b = or_constant<T>(bias, c, T(0), zeros, what);
  const T one = 1, zero = 0;
  check_cudnn(cudnnBatchNormalizationForwardInference(h, CUDNN_BATCHNORM_SPATIAL, &one, &zero, d.x.get(), x,
                                                      d.x.get(), y, d.param.get(), w, b, running_mean, running_var,
                                                      eps),
              "cudnnBatchNormalizationForwardInference", what);
  detail::after_enqueue("cudnnBatchNormalizationForwardInference", what);
}

template <typename T>
void batch_norm_backward(int64_t n, int64_t c, int64_t s, const T* x, const T* gy, const T* weight,
                         const T* save_mean, const T* save_invstd, double eps, bool batch_stats, T* gx, T* gweight,
                         T* gbias, WriteMode mode) {
  const std::string what =
      describe<T>(batch_stats ? "batch_norm backward (batch statistics)" : "batch_norm backward (eval)", n, c, s, eps);
  check_args(what, n, c, s, eps, batch_stats);
  check_pair(what, save_mean, save_invstd, "save_mean and save_invstd");
  if (!gx && !gweight && !gbias) return;
  const bool accumulate = mode == WriteMode::accumulate;
  if (!batch_stats) {
    if (!save_mean) throw std::runtime_error(what + ": needs save_mean and save_invstd (from the eval forward)");
    if (c > INT32_MAX) throw std::runtime_error(what + ": too many channels");
    backward_eval_kernel<T><<<static_cast<unsigned>(c), kThreads, 0, detail::stream()>>>(
        gy, x, n, c, s, save_mean, save_invstd, weight, gx, gweight, gbias, accumulate);
    detail::check_launch("backward_eval_kernel", what);
    return;
  }
  const cudnnHandle_t h = detail::cudnn();
  BnDescs<T> d(n, c, s, what);
  CachedBuffer ones, gx_scratch, param_scratch;
  const T* w = or_constant<T>(weight, c, T(1), ones, what);
  // cuDNN writes all three gradients: unwanted ones go to scratch.
  if (!gx) {
    gx_scratch = CachedBuffer(static_cast<size_t>(n * c * s) * sizeof(T));
    gx = gx_scratch.as<T>();
  }
  if (!gweight || !gbias) {
    param_scratch = CachedBuffer(2 * static_cast<size_t>(c) * sizeof(T));
    if (!gweight) gweight = param_scratch.as<T>();
    if (!gbias) gbias = param_scratch.as<T>() + c;
  }
  const T one = 1, beta = accumulate ? T(1) : T(0);
  check_cudnn(cudnnBatchNormalizationBackward(h, CUDNN_BATCHNORM_SPATIAL, &one, &beta, &one, &beta, d.x.get(), x,
                                              d.x.get(), gy, d.x.get(), gx, d.param.get(), w, gweight, gbias, eps,
                                              save_mean, save_invstd),
              "cudnnBatchNormalizationBackward", what);
  detail::after_enqueue("cudnnBatchNormalizationBackward", what);
}

AAFGAN_BATCH_NORM_KERNELS(template, float)
AAFGAN_BATCH_NORM_KERNELS(template, double)

}  // namespace aafgan::kernels::cuda
