#include "engine/host_allocator.h"

#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "base/error.h"

namespace aafgan {

namespace {

constexpr size_t kAlignment = 64;  // a cache line; what AVX-512 loads like

size_t rounded(size_t bytes) {
  // Coarser steps for big blocks let near-equal sizes share, at ≤ 1/64 waste.
  const size_t step = bytes >= (size_t{1} << 20) ? size_t{4096} : kAlignment;
  return bytes == 0 ? kAlignment : (bytes + step - 1) / step * step;
}

class HostCache {
 public:
  HostCache() {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    // A quarter of the RAM at most: a steady training loop needs far less, and the cap stops
    // a workload of ever-changing sizes from hoarding memory.
    limit_ = pages > 0 && page > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page) / 4 : size_t{1} << 30;
  }
  ~HostCache() { release_all(); }

  void* alloc(size_t bytes) {
    const size_t size = rounded(bytes);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_ -= size;
        ++stats_.hits;
        return p;
      }
      ++stats_.misses;
    }
    void* p = std::aligned_alloc(kAlignment, size);
    if (!p) {
      release_all();  // cached blocks of other sizes may be what stands in the way
      p = std::aligned_alloc(kAlignment, size);
    }
    if (!p) fail("out of host memory allocating {} bytes", bytes);
    return p;
  }

  void free(void* p, size_t bytes) {
    if (!p) return;
    const size_t size = rounded(bytes);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cached_ + size <= limit_) {
        free_[size].push_back(p);
        cached_ += size;
        return;
      }
    }
    std::free(p);
  }

  HostCacheStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    HostCacheStats s = stats_;
    s.cached_bytes = cached_;
    return s;
  }

  void release_all() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [size, blocks] : free_)
      for (void* p : blocks) std::free(p);
    free_.clear();
    cached_ = 0;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t cached_ = 0;
  size_t limit_;
  HostCacheStats stats_;
};

HostCache& cache() {
  static HostCache* c = new HostCache;  // never destroyed: tensors may outlive static destructors
  return *c;
}

}  // namespace

void* host_alloc(size_t bytes) { return cache().alloc(bytes); }
void host_free(void* p, size_t bytes) { cache().free(p, bytes); }
HostCacheStats host_cache_stats() { return cache().stats(); }
void host_cache_release() { cache().release_all(); }

}  // namespace aafgan
