// Built instead of cudnn_conv.cu and cudnn_batchnorm.cu when the CUDA toolkit was found but
// cuDNN was not (see kernels/CMakeLists.txt): the entry points exist and throw if reached.
// The settings of cudnn_conv.h (workspace limit) live in device_context.cu and still work.
#include <stdexcept>
#include <string>

#include "kernels/cuda/cudnn_batchnorm.h"
#include "kernels/cuda/cudnn_conv.h"

namespace aafgan::kernels::cuda {

namespace {

[[noreturn]] void no_cudnn(const char* op) {
  throw std::runtime_error(std::string(op) +
                           ": this build has no cuDNN (built without cuDNN: CMake found no cudnn.h and libcudnn, "
                           "or AAFGAN_CUDNN was OFF; set CUDNN_ROOT and reconfigure)");
}

}  // namespace

template <typename T>
void conv2d_forward(const ConvShape&, const T*, const T*, const T*, T*, WriteMode) {
  no_cudnn("conv2d forward");
}
template <typename T>
void conv2d_backward_data(const ConvShape&, const T*, const T*, T*, WriteMode) {
  no_cudnn("conv2d backward data");
}
template <typename T>
void conv2d_backward_filter(const ConvShape&, const T*, const T*, T*, WriteMode) {
  no_cudnn("conv2d backward filter");
}
template <typename T>
void conv2d_backward_bias(const ConvShape&, const T*, T*, WriteMode) {
  no_cudnn("conv2d backward bias");
}
template <typename T>
void conv_transpose2d_forward(const ConvTransposeShape&, const T*, const T*, const T*, T*, WriteMode) {
  no_cudnn("conv_transpose2d forward");
}
template <typename T>
void conv_transpose2d_backward_data(const ConvTransposeShape&, const T*, const T*, T*, WriteMode) {
  no_cudnn("conv_transpose2d backward data");
}
template <typename T>
void conv_transpose2d_backward_filter(const ConvTransposeShape&, const T*, const T*, T*, WriteMode) {
  no_cudnn("conv_transpose2d backward filter");
}
template <typename T>
void conv_transpose2d_backward_bias(const ConvTransposeShape&, const T*, T*, WriteMode) {
  no_cudnn("conv_transpose2d backward bias");
}

size_t conv_algorithm_cache_size() { return 0; }

template <typename T>
void batch_norm_forward_training(int64_t, int64_t, int64_t, const T*, T*, const T*, const T*, T*, T*, double, double,
                                 T*, T*) {
  no_cudnn("batch_norm forward training");
}
template <typename T>
void batch_norm_forward_inference(int64_t, int64_t, int64_t, const T*, T*, const T*, const T*, const T*, const T*,
                                  double, T*, T*) {
  no_cudnn("batch_norm forward inference");
}
template <typename T>
void batch_norm_backward(int64_t, int64_t, int64_t, const T*, const T*, const T*, const T*, const T*, double, bool,
                         T*, T*, T*, WriteMode) {
  no_cudnn("batch_norm backward");
}

#define AAFGAN_NO_CUDNN_INSTANTIATE(T)                                                                          \
  template void conv2d_forward<T>(const ConvShape&, const T*, const T*, const T*, T*, WriteMode);                \
  template void conv2d_backward_data<T>(const ConvShape&, const T*, const T*, T*, WriteMode);                    \
  template void conv2d_backward_filter<T>(const ConvShape&, const T*, const T*, T*, WriteMode);                  \
  template void conv2d_backward_bias<T>(const ConvShape&, const T*, T*, WriteMode);                              \
  template void conv_transpose2d_forward<T>(const ConvTransposeShape&, const T*, const T*, const T*, T*,         \
                                            WriteMode);                                                          \
  template void conv_transpose2d_backward_data<T>(const ConvTransposeShape&, const T*, const T*, T*, WriteMode); \
  template void conv_transpose2d_backward_filter<T>(const ConvTransposeShape&, const T*, const T*, T*,           \
                                                    WriteMode);                                                  \
  template void conv_transpose2d_backward_bias<T>(const ConvTransposeShape&, const T*, T*, WriteMode);           \
  template void batch_norm_forward_training<T>(int64_t, int64_t, int64_t, const T*, T*, const T*, const T*, T*,  \
                                               T*, double, double, T*, T*);                                     \
  template void batch_norm_forward_inference<T>(int64_t, int64_t, int64_t, const T*, T*, const T*, const T*,     \
                                                const T*, const T*, double, T*, T*);                            \
  template void batch_norm_backward<T>(int64_t, int64_t, int64_t, const T*, const T*, const T*, const T*,        \
                                       const T*, double, bool, T*, T*, T*, WriteMode);
AAFGAN_NO_CUDNN_INSTANTIATE(float)
AAFGAN_NO_CUDNN_INSTANTIATE(double)
#undef AAFGAN_NO_CUDNN_INSTANTIATE

}  // namespace aafgan::kernels::cuda
