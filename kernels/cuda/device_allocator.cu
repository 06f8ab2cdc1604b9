// The caching device allocator: exact-size free lists keyed by (device, rounded size).
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kernels/cuda/device_allocator.h"
#include "kernels/cuda/runtime_libs_internal.h"

namespace aafgan::kernels::cuda {

namespace {

using detail::check_cuda;
using detail::format_bytes;

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

class Allocator {
 public:
  void* allocate(size_t bytes) {
    if (bytes == 0) return nullptr;
    int dev = 0;
    check_cuda(cudaGetDevice(&dev), "cudaGetDevice", "for cached_alloc(" + format_bytes(bytes) + ")");
    std::lock_guard<std::mutex> lock(mutex_);
    // Beyond this the rounding would overflow; no device has that much memory anyway.
    if (bytes > std::numeric_limits<size_t>::max() / 2) throw out_of_memory(bytes, bytes, dev);
    const size_t size = allocation_size(bytes);
    auto it = free_.find({dev, size});
    if (it != free_.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      stats_.cached_bytes -= size;
      ++stats_.cache_hits;
      hand_out(p, dev, size);
      return p;
    }
    void* p = nullptr;
    cudaError_t err = cudaMalloc(&p, size);
    ++stats_.cuda_malloc_calls;
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      if (release_cached_locked(dev) > 0) {
        err = cudaMalloc(&p, size);
        ++stats_.cuda_malloc_calls;
      }
    }
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      throw out_of_memory(bytes, size, dev);
    }
    check_cuda(err, "cudaMalloc", format_bytes(size) + " on device " + std::to_string(dev));
    hand_out(p, dev, size);
    return p;
  }

  void deallocate(void* p) {
    if (!p) return;
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = live_.find(p);
    if (it == live_.end())
      throw std::runtime_error("cached_free: pointer " + pointer_str(p) +
                               " was not allocated by cached_alloc, or was freed already");
    const Block b = it->second;
    live_.erase(it);
    free_[{b.device, b.size}].push_back(p);
    stats_.allocated_bytes -= b.size;
    stats_.cached_bytes += b.size;
  }

  void empty_cache() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<int> devices;
    for (const auto& [key, blocks] : free_)
      if (!blocks.empty() && (devices.empty() || devices.back() != key.first)) devices.push_back(key.first);
    for (int dev : devices) {
      DeviceGuard guard(dev);
      release_cached_locked(dev);
    }
  }

  AllocatorStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

 private:
  struct Block {
    int device;
    size_t size;
  };

  static std::string pointer_str(const void* p) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%p", p);
    return buf;
  }

  void hand_out(void* p, int dev, size_t size) {
    live_[p] = Block{dev, size};
    stats_.allocated_bytes += size;
    if (stats_.allocated_bytes > stats_.peak_allocated_bytes) stats_.peak_allocated_bytes = stats_.allocated_bytes;
  }

  // Returns every cached block of `dev` (the current device) to CUDA, after waiting for the
  // device: a cached block may still be read or written by work enqueued before it was freed.
  // Returns the bytes released.
  size_t release_cached_locked(int dev) {
    size_t released = 0;
    bool synced = false;
    for (auto it = free_.lower_bound({dev, 0}); it != free_.end() && it->first.first == dev; ++it) {
      auto& blocks = it->second;
      if (blocks.empty()) continue;
      if (!synced) {
        check_cuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize",
                   "before returning cached blocks of device " + std::to_string(dev) + " to CUDA");
        synced = true;
      }
      while (!blocks.empty()) {
        void* p = blocks.back();
        check_cuda(cudaFree(p), "cudaFree", "cached block of " + format_bytes(it->first.second));
        blocks.pop_back();
        ++stats_.cuda_free_calls;
        stats_.cached_bytes -= it->first.second;
        released += it->first.second;
      }
    }
    return released;
  }

  OutOfMemoryError out_of_memory(size_t requested, size_t rounded, int dev) {
    size_t free_b = 0, total_b = 0;
    const cudaError_t err = cudaMemGetInfo(&free_b, &total_b);
    std::string mem;
    if (err == cudaSuccess) {
      mem = format_bytes(free_b) + " free of " + format_bytes(total_b) + " total";
    } else {
      cudaGetLastError();
      mem = std::string("free/total unknown: ") + cudaGetErrorString(err);
    }
    return OutOfMemoryError("cudaMalloc(" + format_bytes(requested) +
                            (rounded != requested ? ", rounded to " + format_bytes(rounded) : std::string()) +
                            ") failed: out of memory on device " + std::to_string(dev) + " (" + mem +
                            "; this allocator holds " + format_bytes(stats_.allocated_bytes) + " in use and " +
                            format_bytes(stats_.cached_bytes) + " cached)");
  }

  std::mutex mutex_;
  std::map<std::pair<int, size_t>, std::vector<void*>> free_;
  std::unordered_map<void*, Block> live_;
  AllocatorStats stats_;
};

// Never destroyed: freeing device memory from a static destructor races the driver's shutdown.
Allocator& allocator() {
  static Allocator* a = new Allocator();
  return *a;
}

}  // namespace

void* cached_alloc(size_t bytes) { return allocator().allocate(bytes); }
void cached_free(void* ptr) { allocator().deallocate(ptr); }
void empty_cache() { allocator().empty_cache(); }
AllocatorStats allocator_stats() { return allocator().stats(); }

}  // namespace aafgan::kernels::cuda
