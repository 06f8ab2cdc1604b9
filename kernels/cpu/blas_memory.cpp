#include "kernels/cpu/blas_memory.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <limits>

namespace aafgan::kernels::cpu {

namespace {

constexpr uint64_t kMiB = uint64_t(1) << 20;
// OpenBLAS's per-thread buffer: BUFFER_SIZE (32 << 22 on x86-64) plus a page, seen as
// malloc(134221824) under blas_memory_alloc (OpenBLAS 0.3.21, gdb).
constexpr uint64_t kOpenBlasBuffer = (uint64_t(32) << 22) + 4096;
// Each thread's stack (glibc's default from an 8 MiB RLIMIT_STACK) and its guard page.
constexpr uint64_t kThreadStack = 8 * kMiB + 4096;
// What the app maps between start-up and its first GEMM: data, models, optimizer state and
// allocator arenas. 95 MB for the MNIST GAN on the bundled t10k (VmSize at main against at the
// first blas_memory_alloc); larger data (CelebA in memory) needs more, and fails by name as an
// allocation, not in the BLAS.
constexpr uint64_t kWorkingMargin = 128 * kMiB;

uint64_t round_up_mib(uint64_t bytes) { return (bytes + kMiB - 1) / kMiB; }

uint64_t needed_for(uint64_t in_use, int threads, bool openblas, int buffered) {
  uint64_t bytes = in_use + kWorkingMargin + static_cast<uint64_t>(threads) * kThreadStack;
  if (openblas) bytes += static_cast<uint64_t>(1 + (threads > buffered ? threads - buffered : 0)) * kOpenBlasBuffer;
  return bytes;
}

// "1252 MiB (ulimit -v 1281788)": ulimit -v counts KiB.
std::string ulimit_text(uint64_t bytes) {
  return std::to_string(round_up_mib(bytes)) + " MiB (ulimit -v " + std::to_string((bytes + 1023) / 1024) + ")";
}

}  // namespace

BlasAddressSpace fit_blas_address_space(uint64_t limit_bytes, uint64_t in_use_bytes, int threads, bool openblas,
                                        int buffered_threads) {
  BlasAddressSpace r;
  if (threads < 1) threads = 1;
  r.needed_bytes = needed_for(in_use_bytes, threads, openblas, buffered_threads);
  if (limit_bytes >= r.needed_bytes) {
    r.threads = threads;
    return r;
  }
  for (int t = threads - 1; t >= 1; --t)
    if (needed_for(in_use_bytes, t, openblas, buffered_threads) <= limit_bytes) {
      r.threads = t;
      break;
    }
  const std::string what = openblas ? (buffered_threads > 0 ? "a stack per thread and OpenBLAS's 128 MiB buffer for the GEMM's caller"
                                                             : "OpenBLAS's 128 MiB buffer per thread and one for the GEMM's "
                                                               "caller, a stack per thread")
                                    : "a stack per thread";
  const std::string have = "the address-space limit of " + ulimit_text(limit_bytes);
  const std::string mapped = std::to_string(round_up_mib(in_use_bytes)) + " MiB mapped at start-up";
  if (r.threads >= 1) {
    r.note = have + " leaves room for " + std::to_string(r.threads) + " of " + std::to_string(threads) +
             " GEMM threads (" + mapped + ", 128 MiB of working memory, " + what + "): running " +
             std::to_string(r.threads) + "; a limit of " + ulimit_text(r.needed_bytes) + " or more runs all " +
             std::to_string(threads);
    return r;
  }
  const uint64_t one = needed_for(in_use_bytes, 1, openblas, buffered_threads);
  r.error = have + " is too small for the GEMM: one thread needs " + ulimit_text(one) + " (" + mapped +
            ", 128 MiB of working memory, " + what + ")" +
            (openblas ? ", and with less OpenBLAS would retry its allocation forever" : "") +
            "; raise the limit to that, or remove it with `ulimit -v unlimited`";
  return r;
}

int openblas_start_threads(const std::function<const char*(const char*)>& env, int cpus) {
  if (cpus < 1) cpus = 1;
  const char* v = env ? env("OMP_NUM_THREADS") : nullptr;
  const int n = v ? std::atoi(v) : 0;
  return n > 0 && n < cpus ? n : cpus;
}

uint64_t address_space_limit() {
  rlimit l{};
  if (getrlimit(RLIMIT_AS, &l) != 0 || l.rlim_cur == RLIM_INFINITY) return std::numeric_limits<uint64_t>::max();
  return static_cast<uint64_t>(l.rlim_cur);
}

uint64_t address_space_in_use() {
  std::FILE* f = std::fopen("/proc/self/statm", "re");
  if (!f) return 0;
  unsigned long long pages = 0;
  const int got = std::fscanf(f, "%llu", &pages);
  std::fclose(f);
  return got == 1 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

}  // namespace aafgan::kernels::cpu
