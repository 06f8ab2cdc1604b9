#pragma once
// defines: format_bytes, format_double, check_cuda, check_launch, check_cublas, check_cudnn,
//          to_int, stream, cublas, cudnn, grid_for
//
// Internal to the .cu files of kernels/cuda: error checks for the CUDA runtime, cuBLAS and
// cuDNN, and the current device's context handles (device_context.cu). Includes the CUDA
// headers, so nothing outside kernels/cuda/*.cu may include it.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#ifdef AAFGAN_WITH_CUDNN
#include <cudnn.h>
#endif

#include <climits>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "kernels/cuda/sync_mode.h"

namespace aafgan::kernels::cuda::detail {

// "1048576 bytes (1.0 MiB)".
inline std::string format_bytes(size_t bytes) {
  static const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 6) {
    v /= 1024.0;
    ++u;
  }
  std::string s = std::to_string(bytes) + " bytes";
  if (u > 0) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), " (%.1f %s)", v, units[u]);
    s += buf;
  }
  return s;
}

// "1e-05", "0.1": the shortest form that reads back the value to 6 significant digits.
inline std::string format_double(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

inline void check_cuda(cudaError_t err, const char* call, const std::string& detail) {
  if (err == cudaSuccess) return;
  // A failed call can leave the error as the "last error" too; clear it so the next, unrelated
  // check does not report this one again.
  cudaGetLastError();
  throw std::runtime_error(std::string(call) + "(" + detail + ") failed: " + cudaGetErrorString(err));
}

// With AAFGAN_CUDA_SYNC=1 (sync_mode.h), after work was enqueued: waits and names `call` if it
// failed on the device. Only after compute calls and launches, never inside the context's own
// setup (sync_check asks for the context stream).
inline void after_enqueue(const char* call, const std::string& detail) {
  if (sync_each_op()) sync_check(std::string(call) + "(" + detail + ")");
}
// After a <<<...>>> launch: a bad configuration shows up at once, a fault only later (at once
// with AAFGAN_CUDA_SYNC=1).
inline void check_launch(const char* kernel, const std::string& detail) {
  check_cuda(cudaGetLastError(), kernel, detail);
  after_enqueue(kernel, detail);
}

inline void check_cublas(cublasStatus_t status, const char* call, const std::string& detail) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw std::runtime_error(std::string(call) + "(" + detail + ") failed: " + cublasGetStatusString(status));
}

#ifdef AAFGAN_WITH_CUDNN
inline void check_cudnn(cudnnStatus_t status, const char* call, const std::string& detail) {
  if (status == CUDNN_STATUS_SUCCESS) return;
  std::string msg = std::string(call) + "(" + detail + ") failed: " + cudnnGetErrorString(status);
#if CUDNN_MAJOR >= 9
  // cuDNN 9 keeps a more specific explanation of the last failure.
  char last[512] = {0};
  cudnnGetLastErrorString(last, sizeof(last));
  if (last[0] != '\0') msg += " (" + std::string(last) + ")";
#endif
  throw std::runtime_error(msg);
}
#endif

// A size that the 32-bit APIs (cuBLAS's int sizes, cuDNN's legacy descriptors) take.
inline int to_int(int64_t v, const char* what, const std::string& context) {
  if (v < 0 || v > INT_MAX)
    throw std::runtime_error(context + ": " + what + " = " + std::to_string(v) +
                             " does not fit the 32-bit sizes of the CUDA libraries");
  return static_cast<int>(v);
}

// The current device's context (created on first use); each throws if there is no usable
// device. Defined in device_context.cu.
cudaStream_t stream();
cublasHandle_t cublas();  // its math mode follows set_allow_tf32
#ifdef AAFGAN_WITH_CUDNN
cudnnHandle_t cudnn();
#endif

// Grid size for a grid-stride loop over n elements with `threads` per block.
inline unsigned grid_for(int64_t n, int threads) {
  const int64_t blocks = (n + threads - 1) / threads;
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > 4096 ? 4096 : blocks));
}

}  // namespace aafgan::kernels::cuda::detail
