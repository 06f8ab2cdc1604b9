// The AAFGAN_CUDA_SYNC switch (see sync_mode.h).
#include <cuda_runtime.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "kernels/cuda/device_context.h"
#include "kernels/cuda/sync_mode.h"

namespace aafgan::kernels::cuda {

namespace {

// -1: not read yet; 0 or 1 afterwards. Atomic because any host thread may launch.
std::atomic<int> g_mode{-1};

}  // namespace

bool sync_each_op() {
  int m = g_mode.load(std::memory_order_relaxed);
  if (m < 0) {
    // A bad value throws here, at the first op, with the variable's name in the message.
    m = parse_sync_setting(std::getenv("AAFGAN_CUDA_SYNC")) ? 1 : 0;
    int expected = -1;
    g_mode.compare_exchange_strong(expected, m, std::memory_order_relaxed);
    m = g_mode.load(std::memory_order_relaxed);
  }
  return m == 1;
}

void set_sync_each_op(bool on) { g_mode.store(on ? 1 : 0, std::memory_order_relaxed); }

void sync_check(const std::string& what) {
  // The engine enqueues all its work on the current device's context stream, and graph capture
  // records that stream; waiting on a capturing stream (or the whole device) breaks the capture.
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  const cudaError_t cap = cudaStreamIsCapturing(static_cast<cudaStream_t>(context_stream()), &status);
  if (cap != cudaSuccess) {
    cudaGetLastError();
    throw std::runtime_error("AAFGAN_CUDA_SYNC=1: after " + what +
                             ", cudaStreamIsCapturing failed: " + cudaGetErrorString(cap));
  }
  if (status != cudaStreamCaptureStatusNone) return;
  // The whole device, not only the context stream: a test or tool may have launched on another
  // stream (the legacy one), and its fault must be named here as well.
  const cudaError_t err = cudaDeviceSynchronize();
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw std::runtime_error("AAFGAN_CUDA_SYNC=1: " + what + " failed on the device: " + cudaGetErrorString(err));
  }
}

}  // namespace aafgan::kernels::cuda
