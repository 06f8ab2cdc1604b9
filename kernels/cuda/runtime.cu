#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "kernels/cuda/runtime.h"
#include "kernels/cuda/sync_mode.h"

namespace aafgan::kernels::cuda {

namespace {

void check(cudaError_t err, const char* call, const std::string& detail) {
  if (err == cudaSuccess) return;
  // A failed call can leave the error as the "last error" too; clear it so the next, unrelated
  // check does not report this one again.
  cudaGetLastError();
  throw std::runtime_error(std::string(call) + "(" + detail + ") failed: " + cudaGetErrorString(err));
}

std::string bytes_str(size_t bytes) { return std::to_string(bytes) + " bytes"; }

cudaStream_t as_stream(void* s) { return static_cast<cudaStream_t>(s); }

// Destroys its events whatever throws in between.
struct EventPair {
  cudaEvent_t start = nullptr, stop = nullptr;
  EventPair() {
    check(cudaEventCreate(&start), "cudaEventCreate", "start");
    const cudaError_t err = cudaEventCreate(&stop);
    if (err != cudaSuccess) cudaEventDestroy(start);
    check(err, "cudaEventCreate", "stop");
  }
  ~EventPair() {
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
  }
  EventPair(const EventPair&) = delete;
  EventPair& operator=(const EventPair&) = delete;
};

struct DeviceBuffer {
  void* ptr = nullptr;
  explicit DeviceBuffer(size_t bytes) : ptr(device_alloc(bytes)) {}
  ~DeviceBuffer() { cudaFree(ptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

}  // namespace

void* device_alloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  check(cudaMalloc(&p, bytes), "cudaMalloc", bytes_str(bytes));
  return p;
}

void device_free(void* ptr) {
  if (ptr) check(cudaFree(ptr), "cudaFree", "device pointer");
}

void copy_to_device(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  check(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "cudaMemcpy host to device", bytes_str(bytes));
}

void copy_to_host(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy device to host", bytes_str(bytes));
}

void device_memset(void* dst, int value, size_t bytes, void* stream) {
  if (bytes == 0) return;
  check(cudaMemsetAsync(dst, value, bytes, as_stream(stream)), "cudaMemsetAsync", bytes_str(bytes));
  if (sync_each_op()) sync_check("cudaMemsetAsync(" + bytes_str(bytes) + ")");
}

void device_synchronize() { check(cudaDeviceSynchronize(), "cudaDeviceSynchronize", ""); }

std::string device_name() {
  int dev = 0;
  check(cudaGetDevice(&dev), "cudaGetDevice", "");
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, dev), "cudaGetDeviceProperties", "device " + std::to_string(dev));
  return prop.name;
}

float time_ms(const std::function<void()>& fn, int iters, int warmup, void* stream) {
  if (iters < 1) throw std::runtime_error("time_ms: iters must be at least 1, got " + std::to_string(iters));
  for (int i = 0; i < warmup; ++i) fn();
  EventPair ev;
  const cudaStream_t s = as_stream(stream);
  check(cudaEventRecord(ev.start, s), "cudaEventRecord", "start");
  for (int i = 0; i < iters; ++i) fn();
  check(cudaEventRecord(ev.stop, s), "cudaEventRecord", "stop");
  check(cudaEventSynchronize(ev.stop), "cudaEventSynchronize", std::to_string(iters) + " timed iterations");
  float ms = 0;
  check(cudaEventElapsedTime(&ms, ev.start, ev.stop), "cudaEventElapsedTime", "");
  return ms / static_cast<float>(iters);
}

double device_copy_bandwidth_gbs(size_t bytes) {
  if (bytes == 0) throw std::runtime_error("device_copy_bandwidth_gbs: bytes must be positive");
  DeviceBuffer src(bytes), dst(bytes);
  // Defined contents, so no first-touch effect can flatter or penalise the copy.
  check(cudaMemset(src.ptr, 0, bytes), "cudaMemset", bytes_str(bytes));
  const float ms = time_ms(
      [&] {
        check(cudaMemcpyAsync(dst.ptr, src.ptr, bytes, cudaMemcpyDeviceToDevice, nullptr),
              "cudaMemcpyAsync device to device", bytes_str(bytes));
      },
      20, 3, nullptr);
  return 2.0 * static_cast<double>(bytes) / (static_cast<double>(ms) * 1e-3) / 1e9;
}

}  // namespace aafgan::kernels::cuda
