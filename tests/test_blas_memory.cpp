// Whether the GEMM fits the address-space limit (kernels/cpu/blas_memory.h), on figures: the
// decision is pure, so no test has to lower its own limit (which OpenBLAS would hang on).
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <utility>
#include <string>

#include "kernels/cpu/blas_info.h"
#include "kernels/cpu/blas_memory.h"

using namespace aafgan::kernels::cpu;

namespace {

constexpr uint64_t kMiB = uint64_t(1) << 20;
constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();
// What a CUDA build maps before its first GEMM (measured: about 988 MiB at main()).
constexpr uint64_t kInUse = 988 * kMiB;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("blas memory: no limit, or a large one, keeps every thread") {
  for (uint64_t limit : {kUnlimited, uint64_t(64) << 30}) {
    const BlasAddressSpace fit = fit_blas_address_space(limit, kInUse, 16, true);
    CHECK(fit.threads == 16);
    CHECK(fit.error.empty());
    CHECK(fit.note.empty());
  }
}

TEST_CASE("blas memory: the issue's ulimit -v 1200000 is refused for OpenBLAS, naming limit, need and remedy") {
  // Issue 22 row 5: this limit hung the MNIST GAN in blas_memory_alloc at 2 threads.
  const BlasAddressSpace fit = fit_blas_address_space(uint64_t(1200000) * 1024, kInUse, 2, true);
  CHECK(fit.threads == 0);
  INFO(fit.error);
  CHECK(has(fit.error, "ulimit -v 1200000"));
  CHECK(has(fit.error, "one thread needs "));
  CHECK(has(fit.error, "1172 MiB"));
  CHECK(has(fit.error, "988 MiB mapped"));
  CHECK(has(fit.error, "128 MiB buffer"));
  CHECK(has(fit.error, "unlimited"));
  // The figure it asks for is enough for one thread.
  CHECK(fit_blas_address_space(fit_blas_address_space(0, kInUse, 1, true).needed_bytes, kInUse, 1, true).threads ==
        1);
}

TEST_CASE("blas memory: a limit with room for some threads runs those, and says how many and why") {
  const uint64_t one = fit_blas_address_space(0, kInUse, 1, true).needed_bytes;
  const uint64_t two = fit_blas_address_space(0, kInUse, 2, true).needed_bytes;
  const uint64_t four = fit_blas_address_space(0, kInUse, 4, true).needed_bytes;
  CHECK(one < two);
  CHECK(four - two == 2 * (two - one));  // the same cost per thread
  const BlasAddressSpace fit = fit_blas_address_space(two + 64 * kMiB, kInUse, 4, true);
  CHECK(fit.threads == 2);
  CHECK(fit.error.empty());
  INFO(fit.note);
  CHECK(has(fit.note, "2 of 4 GEMM threads"));
  CHECK(has(fit.note, "running 2"));
  CHECK(fit.needed_bytes == four);
}

TEST_CASE("blas memory: after OpenBLAS's constructor only the caller's buffer and unbuffered threads are still to map") {
  // Measured (VmSize under gdb, 2 threads): 740 MiB before the constructor, 1001 at main(), 1231
  // after the first GEMM's buffer; a thread beyond those buffered at start-up maps its own.
  const uint64_t before = fit_blas_address_space(0, kInUse, 2, true, 0).needed_bytes;
  const uint64_t after = fit_blas_address_space(0, kInUse, 2, true, 2).needed_bytes;
  CHECK(before - after == 2 * ((uint64_t(32) << 22) + 4096));
  const uint64_t more = fit_blas_address_space(0, kInUse, 4, true, 2).needed_bytes;
  CHECK(more - after == 2 * ((uint64_t(32) << 22) + 4096) + 2 * (8 * kMiB + 4096));
  // Fewer threads than buffered saves only their stacks.
  CHECK(after - fit_blas_address_space(0, kInUse, 1, true, 2).needed_bytes == 8 * kMiB + 4096);
  const BlasAddressSpace fit = fit_blas_address_space(after - 1, kInUse, 2, true, 2);
  CHECK(fit.threads == 1);
  INFO(fit.note);
  CHECK(has(fit.note, "buffer for the GEMM's caller"));
}

TEST_CASE("blas memory: OpenBLAS's start-up threads follow OMP_NUM_THREADS up to the CPUs, not its own variables") {
  const auto env = [](std::initializer_list<std::pair<const char*, const char*>> vars) {
    return [vars](const char* name) -> const char* {
      for (const auto& [k, v] : vars)
        if (std::string(k) == name) return v;
      return nullptr;
    };
  };
  CHECK(openblas_start_threads(env({}), 8) == 8);
  CHECK(openblas_start_threads(env({{"OMP_NUM_THREADS", "3"}}), 8) == 3);
  CHECK(openblas_start_threads(env({{"OMP_NUM_THREADS", "3,1"}}), 8) == 3);
  CHECK(openblas_start_threads(env({{"OMP_NUM_THREADS", "16"}}), 8) == 8);
  CHECK(openblas_start_threads(env({{"OMP_NUM_THREADS", "0"}}), 8) == 8);
  CHECK(openblas_start_threads(env({{"OMP_NUM_THREADS", "junk"}}), 8) == 8);
  CHECK(openblas_start_threads(env({{"OPENBLAS_NUM_THREADS", "1"}, {"GOTO_NUM_THREADS", "1"}}), 8) == 8);
  CHECK(openblas_start_threads(nullptr, 0) == 1);
}

TEST_CASE("blas memory: the start-up rule agrees with the linked OpenBLAS") {
  const LinkedBlas blas = linked_blas();
  if (!blas.openblas) {
    MESSAGE("skipped: built with Eigen, which starts no buffers");
    return;
  }
  const int cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_CONF));
  CHECK(blas.start_threads == openblas_start_threads([](const char* name) { return std::getenv(name); }, cpus));
}

TEST_CASE("blas memory: Eigen has no per-thread buffer, so the same limit holds more threads") {
  const uint64_t limit = kInUse + 512 * kMiB;
  CHECK(fit_blas_address_space(limit, kInUse, 8, true).threads < 8);
  CHECK(fit_blas_address_space(limit, kInUse, 8, false).threads == 8);
}

TEST_CASE("blas memory: this process's limit and mappings are read") {
  CHECK(address_space_in_use() > 0);
  CHECK(address_space_limit() > address_space_in_use());
}
