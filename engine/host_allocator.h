#pragma once
// Host memory for tensors. A training iteration allocates the same sizes every step; glibc
// serves large blocks with fresh mmaps whose pages fault in on first touch, so freed blocks
// are kept and handed out again for the same size (the CPU twin of a caching device allocator).
#include <cstddef>

namespace aafgan {

void* host_alloc(size_t bytes);
void host_free(void* p, size_t bytes);  // bytes as passed to host_alloc

struct HostCacheStats {
  size_t cached_bytes = 0;  // held for reuse
  size_t hits = 0, misses = 0;
};
HostCacheStats host_cache_stats();
// Returns every cached block to the system (e.g. between runs of a grid).
void host_cache_release();

}  // namespace aafgan
