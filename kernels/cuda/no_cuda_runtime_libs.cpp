// Built instead of the .cu files when no CUDA toolkit was found: the twins of
// device_context.h, device_allocator.h, pinned_memory.h, blas.h, cudnn_conv.h and
// cudnn_batchnorm.h. Anything that would touch a GPU throws "this build has no CUDA backend";
// the process-wide settings (TF32, deterministic mode, workspace limit) and the queries that
// never throw (has_cudnn, cudnn_version, allocator_stats, conv_algorithm_cache_size) work, so
// callers need no #ifdefs to configure the backend.
#include <atomic>
#include <stdexcept>

#include "kernels/cuda/blas.h"
#include "kernels/cuda/cudnn_batchnorm.h"
#include "kernels/cuda/cudnn_conv.h"
#include "kernels/cuda/device_allocator.h"
#include "kernels/cuda/device_context.h"
#include "kernels/cuda/pinned_memory.h"

namespace aafgan::kernels::cuda {

namespace {

[[noreturn]] void no_backend() { throw std::runtime_error("this build has no CUDA backend"); }

std::atomic<bool> g_allow_tf32{false};
std::atomic<bool> g_deterministic{false};
std::atomic<size_t> g_conv_workspace_limit{size_t(256) << 20};

}  // namespace

// --- device_context.h ---
void set_device(int) { no_backend(); }
int current_device() { no_backend(); }
void* context_stream() { no_backend(); }
void synchronize() { no_backend(); }
void set_allow_tf32(bool on) { g_allow_tf32.store(on); }
bool allow_tf32() { return g_allow_tf32.load(); }
void set_deterministic(bool on) { g_deterministic.store(on); }
bool deterministic() { return g_deterministic.load(); }
bool has_cudnn() { return false; }
int cudnn_version() { return 0; }

// --- device_allocator.h ---
void* cached_alloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  no_backend();
}
void cached_free(void* ptr) {
  if (ptr) no_backend();
}
void empty_cache() {}
AllocatorStats allocator_stats() { return {}; }

// --- pinned_memory.h ---
void* pinned_alloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  no_backend();
}
void pinned_free(void* ptr) {
  if (ptr) no_backend();
}
void copy_to_device_async(void*, const void*, size_t, void*) { no_backend(); }
void copy_to_host_async(void*, const void*, size_t, void*) { no_backend(); }
void copy_device_to_device_async(void*, const void*, size_t, void*) { no_backend(); }
void stream_synchronize(void*) { no_backend(); }

// --- blas.h ---
template <typename T>
void gemm(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t, const T*, int64_t, T, T*, int64_t) {
  no_backend();
}
template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                          float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t, const double*,
                           int64_t, double, double*, int64_t);

// --- cudnn_conv.h ---
template <typename T>
void conv2d_forward(const ConvShape&, const T*, const T*, const T*, T*, WriteMode) {
  no_backend();
}
template <typename T>
void conv2d_backward_data(const ConvShape&, const T*, const T*, T*, WriteMode) {
  no_backend();
}
template <typename T>
void conv2d_backward_filter(const ConvShape&, const T*, const T*, T*, WriteMode) {
  no_backend();
}
template <typename T>
void conv2d_backward_bias(const ConvShape&, const T*, T*, WriteMode) {
  no_backend();
}
template <typename T>
void conv_transpose2d_forward(const ConvTransposeShape&, const T*, const T*, const T*, T*, WriteMode) {
  no_backend();
}
template <typename T>
void conv_transpose2d_backward_data(const ConvTransposeShape&, const T*, const T*, T*, WriteMode) {
  no_backend();
}
template <typename T>
void conv_transpose2d_backward_filter(const ConvTransposeShape&, const T*, const T*, T*, WriteMode) {
  no_backend();
}
template <typename T>
void conv_transpose2d_backward_bias(const ConvTransposeShape&, const T*, T*, WriteMode) {
  no_backend();
}
size_t conv_workspace_limit() { return g_conv_workspace_limit.load(); }
void set_conv_workspace_limit(size_t bytes) { g_conv_workspace_limit.store(bytes); }
size_t conv_algorithm_cache_size() { return 0; }

// --- cudnn_batchnorm.h ---
template <typename T>
void batch_norm_forward_training(int64_t, int64_t, int64_t, const T*, T*, const T*, const T*, T*, T*, double, double,
                                 T*, T*) {
  no_backend();
}
template <typename T>
void batch_norm_forward_inference(int64_t, int64_t, int64_t, const T*, T*, const T*, const T*, const T*, const T*,
                                  double, T*, T*) {
  no_backend();
}
template <typename T>
void batch_norm_backward(int64_t, int64_t, int64_t, const T*, const T*, const T*, const T*, const T*, double, bool,
                         T*, T*, T*, WriteMode) {
  no_backend();
}

#define AAFGAN_NO_CUDA_INSTANTIATE(T)                                                                           \
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
AAFGAN_NO_CUDA_INSTANTIATE(float)
AAFGAN_NO_CUDA_INSTANTIATE(double)
#undef AAFGAN_NO_CUDA_INSTANTIATE

}  // namespace aafgan::kernels::cuda
