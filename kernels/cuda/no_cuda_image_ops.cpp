// Built instead of image_ops.cu when no CUDA toolkit was found: every entry point of
// image_ops.h exists, so callers need no #ifdefs, and throws if it is reached anyway
// (device_count() reports no GPU first, see no_cuda.cpp).
#include <stdexcept>

#include "kernels/cuda/image_ops.h"

namespace aafgan::kernels::cuda {

namespace {

[[noreturn]] void no_backend() { throw std::runtime_error("this build has no CUDA backend"); }

}  // namespace

template <typename T>
void avg_pool2d_forward_cuda(const T*, T*, int64_t, int64_t, int64_t, int, int, int, bool, void*) {
  no_backend();
}
template <typename T>
void avg_pool2d_backward_cuda(const T*, T*, int64_t, int64_t, int64_t, int, int, int, bool, void*) {
  no_backend();
}
template <typename T>
void global_avg_pool2d_forward_cuda(const T*, T*, int64_t, int64_t, void*) {
  no_backend();
}
template <typename T>
void global_avg_pool2d_backward_cuda(const T*, T*, int64_t, int64_t, void*) {
  no_backend();
}
template <typename T>
void interpolate_bilinear_forward_cuda(const T*, T*, int64_t, int64_t, int64_t, int64_t, int64_t, void*) {
  no_backend();
}
template <typename T>
void interpolate_bilinear_backward_cuda(const T*, T*, int64_t, int64_t, int64_t, int64_t, int64_t, void*) {
  no_backend();
}

template void avg_pool2d_forward_cuda<float>(const float*, float*, int64_t, int64_t, int64_t, int, int, int, bool,
                                             void*);
template void avg_pool2d_forward_cuda<double>(const double*, double*, int64_t, int64_t, int64_t, int, int, int, bool,
                                              void*);
template void avg_pool2d_backward_cuda<float>(const float*, float*, int64_t, int64_t, int64_t, int, int, int, bool,
                                              void*);
template void avg_pool2d_backward_cuda<double>(const double*, double*, int64_t, int64_t, int64_t, int, int, int, bool,
                                               void*);
template void global_avg_pool2d_forward_cuda<float>(const float*, float*, int64_t, int64_t, void*);
template void global_avg_pool2d_forward_cuda<double>(const double*, double*, int64_t, int64_t, void*);
template void global_avg_pool2d_backward_cuda<float>(const float*, float*, int64_t, int64_t, void*);
template void global_avg_pool2d_backward_cuda<double>(const double*, double*, int64_t, int64_t, void*);
template void interpolate_bilinear_forward_cuda<float>(const float*, float*, int64_t, int64_t, int64_t, int64_t,
                                                       int64_t, void*);
template void interpolate_bilinear_forward_cuda<double>(const double*, double*, int64_t, int64_t, int64_t, int64_t,
                                                        int64_t, void*);
template void interpolate_bilinear_backward_cuda<float>(const float*, float*, int64_t, int64_t, int64_t, int64_t,
                                                        int64_t, void*);
template void interpolate_bilinear_backward_cuda<double>(const double*, double*, int64_t, int64_t, int64_t, int64_t,
                                                         int64_t, void*);

}  // namespace aafgan::kernels::cuda
