#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "kernels/cuda/device_query.h"

namespace aafgan::kernels::cuda {

DeviceCount device_count() {
  int n = 0;
  const cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error so later runtime calls start clean
    return {0, std::string("no usable CUDA device: ") + cudaGetErrorString(err)};
  }
  if (n == 0) return {0, "no CUDA device is visible"};
  return {n, ""};
}

int compute_capability(int index) {
  int major = 0, minor = 0;
  cudaError_t err = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, index);
  if (err == cudaSuccess) err = cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, index);
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw std::runtime_error("cudaDeviceGetAttribute (compute capability of device " + std::to_string(index) +
                             ") failed: " + cudaGetErrorString(err));
  }
  return major * 10 + minor;
}

}  // namespace aafgan::kernels::cuda
