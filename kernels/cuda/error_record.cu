// The per-device error records of error_record.h.
#include <cuda_runtime.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/cuda/error_record.cuh"

namespace aafgan::kernels::cuda {

namespace {

struct Record {
  unsigned int* claimed = nullptr;
  ErrorRecordFields* host = nullptr;       // the host's view
  ErrorRecordFields* device_view = nullptr;  // the same memory as the device addresses it
};

// Indexed by device; records are never freed (like the contexts: the process keeps them).
std::mutex g_mutex;
std::vector<Record> g_records;

void check(cudaError_t err, const char* call) {
  if (err == cudaSuccess) return;
  cudaGetLastError();
  throw std::runtime_error(std::string(call) + " for the device error record failed: " + cudaGetErrorString(err));
}

int current() {
  int dev = 0;
  check(cudaGetDevice(&dev), "cudaGetDevice");
  return dev;
}

Record* find(int dev) {
  if (dev < 0 || static_cast<size_t>(dev) >= g_records.size()) return nullptr;
  Record& r = g_records[static_cast<size_t>(dev)];
  return r.claimed ? &r : nullptr;
}

}  // namespace

ErrorSlot error_slot(cudaStream_t stream) {
  const int dev = current();
  std::lock_guard<std::mutex> lock(g_mutex);
  if (Record* r = find(dev)) return {r->claimed, r->device_view};
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  check(cudaStreamIsCapturing(stream, &status), "cudaStreamIsCapturing");
  if (status != cudaStreamCaptureStatusNone)
    throw std::runtime_error("the device error record of cuda:" + std::to_string(dev) +
                             " is created by the first loss on that device, which must run before any CUDA graph "
                             "capture (run one step uncaptured first)");
  Record r;
  check(cudaMalloc(reinterpret_cast<void**>(&r.claimed), sizeof(unsigned int)), "cudaMalloc");
  check(cudaHostAlloc(reinterpret_cast<void**>(&r.host), sizeof(ErrorRecordFields), cudaHostAllocMapped),
        "cudaHostAlloc (mapped)");
  *r.host = ErrorRecordFields{};
  check(cudaHostGetDevicePointer(reinterpret_cast<void**>(&r.device_view), r.host, 0), "cudaHostGetDevicePointer");
  // On the caller's stream, and waited for: the kernel about to be launched there, and any
  // later work, sees the word cleared.
  check(cudaMemsetAsync(r.claimed, 0, sizeof(unsigned int), stream), "cudaMemsetAsync");
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  if (g_records.size() <= static_cast<size_t>(dev)) g_records.resize(static_cast<size_t>(dev) + 1);
  g_records[static_cast<size_t>(dev)] = r;
  return {r.claimed, r.device_view};
}

bool take_device_error(DeviceError& out, void* stream) {
  const int dev = current();
  std::lock_guard<std::mutex> lock(g_mutex);
  Record* r = find(dev);
  if (!r) return false;
  const volatile ErrorRecordFields* f = r->host;
  const uint32_t op = f->op;
  if (op == 0) return false;
  out.op = static_cast<DeviceErrorOp>(op);
  out.index = f->index;
  out.value = f->value;
  out.limit = f->limit;
  // Cleared for the next error: the host fields at once (no kernel runs on this device's
  // stream now: the caller waited), the claim word in stream order before any later kernel.
  r->host->op = 0;
  check(cudaMemsetAsync(r->claimed, 0, sizeof(unsigned int), static_cast<cudaStream_t>(stream)), "cudaMemsetAsync");
  return true;
}

}  // namespace aafgan::kernels::cuda
