#pragma once
// defines: device_alloc, device_free, copy_to_device, copy_to_host, device_memset,
//          device_synchronize, device_name, time_ms, device_copy_bandwidth_gbs
//
// A minimal host API over the CUDA runtime, so code compiled by the plain C++ compiler (tests,
// benchmarks, the engine's allocator) can use the GPU without including cuda_runtime.h.
//
// Every function throws std::runtime_error naming the failed CUDA call, the sizes involved and
// the runtime's own message. A build without the CUDA toolkit links kernels/cuda/no_cuda.cpp,
// whose versions throw "this build has no CUDA backend"; check device_count() first.
//
// Streams are `void*` holding a cudaStream_t; nullptr is the legacy default stream.
#include <cstddef>
#include <functional>
#include <string>

namespace aafgan::kernels::cuda {

// cudaMalloc; zero bytes returns nullptr without calling CUDA.
void* device_alloc(size_t bytes);
// cudaFree; nullptr is a no-op.
void device_free(void* ptr);

// Copies with cudaMemcpy, host → device and device → host, on the legacy default stream,
// which the non-blocking context stream (device_context.h) does not wait for, nor it for the
// context stream; and from pageable memory copy_to_device may return before the data has
// landed. Next to work on the context stream, use the *_async copies of pinned_memory.h on
// context_stream() followed by synchronize() instead.
void copy_to_device(void* dst, const void* src, size_t bytes);
void copy_to_host(void* dst, const void* src, size_t bytes);
// cudaMemsetAsync on `stream` (every byte = value).
void device_memset(void* dst, int value, size_t bytes, void* stream);

// cudaDeviceSynchronize: also where asynchronous kernel faults surface.
void device_synchronize();

// Name of the current device ("NVIDIA H100 80GB HBM3").
std::string device_name();

// Mean time in milliseconds of one call of `fn`, measured with CUDA events on `stream` over
// `iters` calls after `warmup` untimed calls. fn must enqueue its work on `stream`.
float time_ms(const std::function<void()>& fn, int iters, int warmup, void* stream);

// Achieved bandwidth of a device-to-device cudaMemcpy of `bytes`, in GB/s (1e9 bytes/s),
// counting the bytes read and the bytes written: the yardstick a memory-bound kernel's
// GB/s is compared with.
double device_copy_bandwidth_gbs(size_t bytes);

}  // namespace aafgan::kernels::cuda
