#pragma once
// What the cuDNN ops (conv.cu, batchnorm.cu) share: the data type of T and an owned tensor
// descriptor. Internal to kernels/cuda/*.cu built with cuDNN (it includes cudnn.h through
// runtime_libs_internal.h).
#include <string>
#include <type_traits>

#include "kernels/cuda/runtime_libs_internal.h"

namespace aafgan::kernels::cuda::detail {

template <typename T>
constexpr cudnnDataType_t cudnn_dtype() {
  return std::is_same_v<T, float> ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE;
}

// A cuDNN tensor descriptor for the life of the object (RAII).
class TensorDesc {
 public:
  TensorDesc() { check_cudnn(cudnnCreateTensorDescriptor(&d_), "cudnnCreateTensorDescriptor", ""); }
  ~TensorDesc() { cudnnDestroyTensorDescriptor(d_); }
  TensorDesc(const TensorDesc&) = delete;
  TensorDesc& operator=(const TensorDesc&) = delete;
  // NCHW [n, c, h, w]; failures name `what` and the sizes.
  void set(cudnnDataType_t dt, int n, int c, int h, int w, const std::string& what) {
    check_cudnn(cudnnSetTensor4dDescriptor(d_, CUDNN_TENSOR_NCHW, dt, n, c, h, w), "cudnnSetTensor4dDescriptor",
                what + " [" + std::to_string(n) + ", " + std::to_string(c) + ", " + std::to_string(h) + ", " +
                    std::to_string(w) + "]");
  }
  cudnnTensorDescriptor_t get() const { return d_; }

 private:
  cudnnTensorDescriptor_t d_ = nullptr;
};

}  // namespace aafgan::kernels::cuda::detail
