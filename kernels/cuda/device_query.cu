#include <cuda_runtime.h>

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

}  // namespace aafgan::kernels::cuda
