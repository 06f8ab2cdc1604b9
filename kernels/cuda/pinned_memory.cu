// Pinned host memory and asynchronous copies on a caller's stream.
#include <string>

#include "kernels/cuda/pinned_memory.h"
#include "kernels/cuda/runtime_libs_internal.h"

namespace aafgan::kernels::cuda {

namespace {

using detail::check_cuda;
using detail::format_bytes;

cudaStream_t as_stream(void* s) { return static_cast<cudaStream_t>(s); }

}  // namespace

void* pinned_alloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  const cudaError_t err = cudaMallocHost(&p, bytes);
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    throw OutOfMemoryError("cudaMallocHost(" + format_bytes(bytes) +
                           ") failed: out of pinned host memory (page-locked memory is limited by the "
                           "system's RAM and its memlock limit)");
  }
  check_cuda(err, "cudaMallocHost", format_bytes(bytes));
  return p;
}

void pinned_free(void* ptr) {
  if (ptr) check_cuda(cudaFreeHost(ptr), "cudaFreeHost", "pinned host buffer");
}

void copy_to_device_async(void* dst, const void* src, size_t bytes, void* stream) {
  if (bytes == 0) return;
  check_cuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, as_stream(stream)),
             "cudaMemcpyAsync host to device", format_bytes(bytes));
  detail::after_enqueue("cudaMemcpyAsync host to device", format_bytes(bytes));
}

void copy_to_host_async(void* dst, const void* src, size_t bytes, void* stream) {
  if (bytes == 0) return;
  check_cuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, as_stream(stream)),
             "cudaMemcpyAsync device to host", format_bytes(bytes));
  detail::after_enqueue("cudaMemcpyAsync device to host", format_bytes(bytes));
}

void copy_device_to_device_async(void* dst, const void* src, size_t bytes, void* stream) {
  if (bytes == 0) return;
  check_cuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, as_stream(stream)),
             "cudaMemcpyAsync device to device", format_bytes(bytes));
  detail::after_enqueue("cudaMemcpyAsync device to device", format_bytes(bytes));
}

void stream_synchronize(void* stream) {
  check_cuda(cudaStreamSynchronize(as_stream(stream)), "cudaStreamSynchronize",
             stream ? "stream" : "legacy default stream");
}

}  // namespace aafgan::kernels::cuda
