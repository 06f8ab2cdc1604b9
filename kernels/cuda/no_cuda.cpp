// Built instead of the .cu files when no CUDA toolkit was found: the device query exists and
// reports no GPU, so callers need no #ifdefs; everything else throws if it is reached anyway.
#include <stdexcept>

#include "kernels/cuda/activations.h"
#include "kernels/cuda/device_query.h"
#include "kernels/cuda/runtime.h"

namespace aafgan::kernels::cuda {

DeviceCount device_count() { return {0, "this build has no CUDA backend (configured without a CUDA toolkit)"}; }

namespace {

[[noreturn]] void no_backend() { throw std::runtime_error("this build has no CUDA backend"); }

}  // namespace

// --- runtime.h ---
void* device_alloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  no_backend();
}
void device_free(void* ptr) {
  if (ptr) no_backend();
}
void copy_to_device(void*, const void*, size_t) { no_backend(); }
void copy_to_host(void*, const void*, size_t) { no_backend(); }
void device_memset(void*, int, size_t, void*) { no_backend(); }
void device_synchronize() { no_backend(); }
std::string device_name() { no_backend(); }
float time_ms(const std::function<void()>&, int, int, void*) { no_backend(); }
double device_copy_bandwidth_gbs(size_t) { no_backend(); }

// --- activations.h ---
template <typename T>
void act_forward_cuda(Act, Range, const T*, T*, int64_t, const T* const*, int64_t, int64_t, void*) {
  no_backend();
}
size_t act_backward_workspace_bytes(Act, int64_t, int64_t, int64_t, size_t) { no_backend(); }
template <typename T>
void act_backward_cuda(Act, Range, const T*, const T*, T*, T* const*, int64_t, const T* const*, int64_t, int64_t,
                       void*, size_t, void*) {
  no_backend();
}

template void act_forward_cuda<float>(Act, Range, const float*, float*, int64_t, const float* const*, int64_t,
                                      int64_t, void*);
template void act_forward_cuda<double>(Act, Range, const double*, double*, int64_t, const double* const*, int64_t,
                                       int64_t, void*);
template void act_backward_cuda<float>(Act, Range, const float*, const float*, float*, float* const*, int64_t,
                                       const float* const*, int64_t, int64_t, void*, size_t, void*);
template void act_backward_cuda<double>(Act, Range, const double*, const double*, double*, double* const*, int64_t,
                                        const double* const*, int64_t, int64_t, void*, size_t, void*);

}  // namespace aafgan::kernels::cuda
