// The caching device allocator: one memory::BlockPool per device, fed by cudaMalloc/cudaFree
// and cudaEvent_t, behind one mutex; the graphs' holds across devices; plus the out-of-memory
// message.
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kernels/cuda/device_allocator.h"
#include "kernels/cuda/runtime_libs_internal.h"
#include "kernels/memory/block_pool.h"
#include "kernels/memory/size_classes.h"

namespace aafgan::kernels::cuda {

namespace {

using detail::check_cuda;
using detail::format_bytes;
using memory::BlockPool;
using memory::EventId;
using memory::HoldId;
using memory::StreamId;

std::string pointer_str(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%p", p);
  return buf;
}

StreamId stream_id(cudaStream_t s) { return reinterpret_cast<StreamId>(s); }
cudaStream_t as_stream(StreamId s) { return reinterpret_cast<cudaStream_t>(s); }

// Makes `device` current for a scope and restores the previous one (errors on restore are
// dropped: a destructor must not throw).
class DeviceGuard {
 public:
  explicit DeviceGuard(int device) {
    check_cuda(cudaGetDevice(&previous_), "cudaGetDevice", "");
    if (device != previous_) check_cuda(cudaSetDevice(device), "cudaSetDevice", "device " + std::to_string(device));
  }
  ~DeviceGuard() {
    int now = previous_;
    if (cudaGetDevice(&now) == cudaSuccess && now != previous_) cudaSetDevice(previous_);
    cudaGetLastError();
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = 0;
};

// Lets this thread make calls that a capture in global or thread-local mode would reject
// (cudaMalloc, which a graph never replays, and cudaMemGetInfo), without invalidating it.
class RelaxedCaptureMode {
 public:
  explicit RelaxedCaptureMode(bool active) : active_(active) {
    if (active_) check_cuda(cudaThreadExchangeStreamCaptureMode(&mode_), "cudaThreadExchangeStreamCaptureMode", "relaxed");
  }
  ~RelaxedCaptureMode() {
    if (active_) cudaThreadExchangeStreamCaptureMode(&mode_);
  }
  RelaxedCaptureMode(const RelaxedCaptureMode&) = delete;
  RelaxedCaptureMode& operator=(const RelaxedCaptureMode&) = delete;

 private:
  bool active_;
  cudaStreamCaptureMode mode_ = cudaStreamCaptureModeRelaxed;
};

bool stream_capturing(cudaStream_t s) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  check_cuda(cudaStreamIsCapturing(s, &status), "cudaStreamIsCapturing", "stream " + pointer_str(s));
  // An invalidated capture has not ended yet: the same restrictions hold.
  return status != cudaStreamCaptureStatusNone;
}

// One device's memory and events for its BlockPool. Every call makes the device current
// first: a block may be freed, or empty_cache run, while another device is current.
class DeviceSource : public memory::SegmentSource {
 public:
  explicit DeviceSource(int device) : device_(device) {}

  void* allocate_segment(size_t bytes, bool during_capture) override {
    DeviceGuard guard(device_);
    void* p = nullptr;
    cudaError_t err;
    {
      RelaxedCaptureMode relaxed(during_capture);
      err = cudaMalloc(&p, bytes);
    }
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      return nullptr;
    }
    check_cuda(err, "cudaMalloc", format_bytes(bytes) + " on " + where());
    return p;
  }

  void free_segment(void* ptr, size_t bytes) override {
    DeviceGuard guard(device_);
    check_cuda(cudaFree(ptr), "cudaFree", "a cached segment of " + format_bytes(bytes) + " on " + where());
  }

  void synchronize() override {
    DeviceGuard guard(device_);
    check_cuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize", where() + ", before reusing or freeing cached memory");
  }

  bool capturing(StreamId stream) override { return stream_capturing(as_stream(stream)); }

  EventId record_event(StreamId stream) override {
    DeviceGuard guard(device_);
    cudaEvent_t e = nullptr;
    check_cuda(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "cudaEventCreateWithFlags", where());
    const cudaError_t err = cudaEventRecord(e, as_stream(stream));
    if (err != cudaSuccess) {
      cudaEventDestroy(e);
      check_cuda(err, "cudaEventRecord",
                 "stream " + pointer_str(as_stream(stream)) + " (named in record_stream) on " + where());
    }
    return reinterpret_cast<EventId>(e);
  }

  bool event_completed(EventId event) override {
    const cudaError_t err = cudaEventQuery(reinterpret_cast<cudaEvent_t>(event));
    if (err == cudaSuccess) return true;
    if (err == cudaErrorNotReady) {
      cudaGetLastError();  // not an error: the work is still running
      return false;
    }
    check_cuda(err, "cudaEventQuery", "an event guarding a block used by another stream on " + where());
    return false;
  }

  void destroy_event(EventId event) noexcept override {
    cudaEventDestroy(reinterpret_cast<cudaEvent_t>(event));
    cudaGetLastError();
  }

 private:
  std::string where() const { return "device " + std::to_string(device_); }
  int device_;
};

struct DevicePool {
  explicit DevicePool(int device) : source(device), pool(source) {}
  DeviceSource source;
  BlockPool pool;
};

class Allocator {
 public:
  void* allocate(size_t bytes, cudaStream_t stream) {
    if (bytes == 0) return nullptr;
    int dev = 0;
    check_cuda(cudaGetDevice(&dev), "cudaGetDevice", "for cached_alloc(" + format_bytes(bytes) + ")");
    std::lock_guard<std::mutex> lock(mutex_);
    BlockPool& pool = pool_locked(dev);
    void* p = pool.allocate(bytes, stream_id(stream));
    if (!p) throw out_of_memory(bytes, dev, stream_capturing(stream), pool);
    return p;
  }

  void deallocate(void* p) {
    if (!p) return;
    std::lock_guard<std::mutex> lock(mutex_);
    BlockPool* pool = owner_locked(p);
    if (!pool) throw std::runtime_error("cached_free: pointer " + pointer_str(p) + " was not allocated by cached_alloc");
    try {
      pool->free(p);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(std::string("cached_free: ") + e.what());
    }
  }

  void record_stream(void* p, cudaStream_t stream) {
    std::lock_guard<std::mutex> lock(mutex_);
    BlockPool* pool = p ? owner_locked(p) : nullptr;
    if (!pool)
      throw std::runtime_error("record_stream: pointer " + pointer_str(p) + " was not allocated by cached_alloc");
    try {
      pool->record_stream(p, stream_id(stream));
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(std::string("record_stream: ") + e.what());
    }
  }

  void empty_cache() {
    std::vector<int> devices;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (size_t d = 0; d < pools_.size(); ++d)
        if (pools_[d] && pools_[d]->pool.stats().segments > 0) devices.push_back(static_cast<int>(d));
    }
    for (int dev : devices) {
      DeviceGuard guard(dev);
      // Outside the lock: detail::stream() takes the context mutex, which is held while the
      // cuBLAS workspace is allocated (context mutex, then this one, never the other way).
      if (stream_capturing(detail::stream()))
        throw std::runtime_error("empty_cache: the context stream of device " + std::to_string(dev) +
                                 " is being captured into a CUDA graph, and freeing memory would invalidate "
                                 "the capture; call it before or after capturing");
      std::lock_guard<std::mutex> lock(mutex_);
      pools_[static_cast<size_t>(dev)]->pool.empty_cache();
    }
  }

  // A capture's blocks come from the pool of whichever device was current, so every pool
  // is asked for what the capture touched.
  uint64_t end_capture_hold(cudaStream_t stream) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::pair<size_t, HoldId>> parts;
    for (size_t d = 0; d < pools_.size(); ++d)
      if (pools_[d])
        if (const HoldId h = pools_[d]->pool.end_capture(stream_id(stream))) parts.emplace_back(d, h);
    if (parts.empty()) return 0;
    const uint64_t token = ++last_hold_;
    holds_.emplace(token, std::move(parts));
    return token;
  }

  void release_graph_hold(uint64_t token) {
    if (token == 0) return;
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = holds_.find(token);
    if (it == holds_.end()) return;
    for (const auto& [d, h] : it->second) pools_[d]->pool.release_hold(h);
    holds_.erase(it);
  }

  AllocatorStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    AllocatorStats total;
    for (const auto& p : pools_)
      if (p) total += p->pool.stats();
    return total;
  }

 private:
  BlockPool& pool_locked(int dev) {
    const auto d = static_cast<size_t>(dev);
    if (pools_.size() <= d) pools_.resize(d + 1);
    if (!pools_[d]) pools_[d] = std::make_unique<DevicePool>(dev);
    return pools_[d]->pool;
  }

  BlockPool* owner_locked(const void* p) {
    for (const auto& dp : pools_)
      if (dp && dp->pool.contains(p)) return &dp->pool;
    return nullptr;
  }

  OutOfMemoryError out_of_memory(size_t requested, int dev, bool capturing, const BlockPool& pool) {
    std::string sizes = format_bytes(requested);
    if (requested <= memory::kMaxRequestBytes) {
      const size_t rounded = memory::round_size(requested);
      if (rounded != requested) sizes += ", rounded to " + format_bytes(rounded);
      sizes += ", in a segment of " + format_bytes(memory::segment_size(rounded));
    }
    size_t free_b = 0, total_b = 0;
    cudaError_t err;
    {
      RelaxedCaptureMode relaxed(capturing);
      err = cudaMemGetInfo(&free_b, &total_b);
    }
    std::string mem;
    if (err == cudaSuccess) {
      mem = format_bytes(free_b) + " free of " + format_bytes(total_b) + " total";
    } else {
      cudaGetLastError();
      mem = std::string("free/total unknown: ") + cudaGetErrorString(err);
    }
    std::string why;
    if (requested > memory::kMaxRequestBytes)
      why = " (more than any device has)";
    else if (capturing)
      why = " during CUDA graph capture (nothing is synchronised or freed while a stream is captured, so the "
            "cache could not be trimmed: run one step before capturing, so that the cache already holds what "
            "the step needs)";
    else
      why = " (after synchronising and giving the wholly free cached segments back)";
    const memory::PoolStats s = pool.stats();
    return OutOfMemoryError("cudaMalloc(" + sizes + ") failed: out of memory on device " + std::to_string(dev) + why +
                            ": " + mem + "; this allocator holds " + format_bytes(s.allocated_bytes) +
                            " allocated and " + format_bytes(s.cached_bytes) + " cached on that device");
  }

  std::mutex mutex_;
  std::vector<std::unique_ptr<DevicePool>> pools_;  // by device index
  // Per graph (end_capture_hold's token), its pools' holds.
  std::unordered_map<uint64_t, std::vector<std::pair<size_t, HoldId>>> holds_;
  uint64_t last_hold_ = 0;
};

// Never destroyed: freeing device memory from a static destructor races the driver's shutdown.
Allocator& allocator() {
  static Allocator* a = new Allocator();
  return *a;
}

}  // namespace

void* cached_alloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  return allocator().allocate(bytes, detail::stream());
}
void* cached_alloc(size_t bytes, void* stream) {
  return allocator().allocate(bytes, static_cast<cudaStream_t>(stream));
}
void cached_free(void* ptr) { allocator().deallocate(ptr); }
void record_stream(void* ptr, void* stream) { allocator().record_stream(ptr, static_cast<cudaStream_t>(stream)); }
void empty_cache() { allocator().empty_cache(); }
AllocatorStats allocator_stats() { return allocator().stats(); }
uint64_t end_capture_hold(void* stream) { return allocator().end_capture_hold(static_cast<cudaStream_t>(stream)); }
void release_graph_hold(uint64_t hold) noexcept {
  try {
    allocator().release_graph_hold(hold);
  } catch (...) {
    // The lock, or a bookkeeping bug: the segments then stay cached, which is safe.
  }
}

}  // namespace aafgan::kernels::cuda
