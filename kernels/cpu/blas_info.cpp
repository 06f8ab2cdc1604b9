#include "kernels/cpu/blas_info.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>

#ifdef AAFGAN_WITH_OPENBLAS
#include <omp.h>
// OpenBLAS's own queries (Debian's libopenblas0-openmp ships no header; these are its exported C API).
extern "C" {
char* openblas_get_corename();
char* openblas_get_config();
int openblas_get_parallel();
int openblas_get_num_threads();
}
#else
#include <Eigen/Core>
#endif

namespace aafgan::kernels::cpu {

namespace {

struct CoreRow {
  const char* name;
  IsaLevel level;
};

// OpenBLAS's x86-64 cores by the instruction set of their kernels (driver/others/dynamic.c lists
// the names a DYNAMIC_ARCH build reports; a build for one core reports it in lower case). Excavator
// CPUs have AVX2, so their core counts as AVX2 lest a real Excavator be warned about.
constexpr CoreRow kCores[] = {
    {"Northwood", IsaLevel::sse2},    {"Banias", IsaLevel::sse2},         {"Athlon", IsaLevel::sse2},
    {"Opteron", IsaLevel::sse2},      {"Prescott", IsaLevel::sse3},       {"Core2", IsaLevel::sse3},
    {"Atom", IsaLevel::sse3},         {"Nano", IsaLevel::sse3},           {"Opteron_SSE3", IsaLevel::sse3},
    {"Barcelona", IsaLevel::sse3},    {"Bobcat", IsaLevel::sse3},         {"Penryn", IsaLevel::sse4},
    {"Dunnington", IsaLevel::sse4},   {"Nehalem", IsaLevel::sse4},        {"Sandybridge", IsaLevel::avx},
    {"Bulldozer", IsaLevel::avx},     {"Piledriver", IsaLevel::avx},      {"Steamroller", IsaLevel::avx},
    {"Excavator", IsaLevel::avx2},    {"Haswell", IsaLevel::avx2},        {"Zen", IsaLevel::avx2},
    {"SkylakeX", IsaLevel::avx512},   {"Cooperlake", IsaLevel::avx512},   {"SapphireRapids", IsaLevel::avx512},
};

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// What decides GEMM speed is the vector width and FMA: 128-bit SSE of any version, 256-bit AVX
// without FMA, AVX2 with FMA, AVX-512. Within SSE the cores differ either way (on the AVX-512
// machine below Nehalem's kernels ran 1.3x slower than Prescott's), so a step inside it is no
// downgrade to warn about.
int width_class(IsaLevel level) {
  switch (level) {
    case IsaLevel::avx: return 1;
    case IsaLevel::avx2: return 2;
    case IsaLevel::avx512: return 3;
    default: return 0;
  }
}

// How much slower a training iteration of the MNIST GAN got (aafgan_bench_gan, f32, batch 100),
// the work besides GEMMs included. The 4x is the AVX2 VM at 2 threads (280 against 72 ms,
// Prescott against Haswell); the rest is one AVX-512 Xeon at 1 thread, OpenBLAS 0.3.21 forced
// to each core, CPU ms per iteration: SkylakeX 41, Haswell 48, Sandybridge 68, Prescott 100,
// Nehalem 129. Other CPUs and thread counts differ: hence ranges, and "once" where one machine
// gave the figure.
std::string slowdown(IsaLevel runs, IsaLevel could) {
  const int from = width_class(runs), to = width_class(could);
  if (from == 0 && to == 1) return "about 1.5-2x slower (measured once on the MNIST GAN)";
  if (from == 0 && to == 2) return "about 2-4x slower (measured on the MNIST GAN)";
  if (from == 0 && to == 3) return "about 2.5-3x slower (measured once on the MNIST GAN)";
  if (from == 1 && to == 2) return "about 1.4x slower (measured once on the MNIST GAN)";
  if (from == 1 && to == 3) return "about 1.7x slower (measured once on the MNIST GAN)";
  return "about 1.2x slower (measured once on the MNIST GAN)";  // AVX2 → AVX-512
}

}  // namespace

IsaLevel openblas_core_level(std::string_view core) {
  for (const CoreRow& row : kCores)
    if (same_name(core, row.name)) return row.level;
  return IsaLevel::unknown;
}

const char* openblas_core_for(IsaLevel level) {
  switch (level) {
    case IsaLevel::sse2: return "Opteron";
    case IsaLevel::sse3: return "Prescott";
    case IsaLevel::sse4: return "Nehalem";
    case IsaLevel::avx: return "Sandybridge";
    case IsaLevel::avx2: return "Haswell";
    case IsaLevel::avx512: return "SkylakeX";
    case IsaLevel::unknown: break;
  }
  return "";
}

std::string blas_core_warning(std::string_view core, const CpuFeatures& cpu, const EnvLookup& env) {
  const IsaLevel runs = openblas_core_level(core);
  const IsaLevel advertised = advertised_level(cpu), usable = usable_level(cpu);
  if (runs == IsaLevel::unknown || advertised == IsaLevel::unknown) return {};
  if (width_class(advertised) <= width_class(runs)) return {};
  const std::string head = "OpenBLAS runs its " + std::string(core) + " kernels (" + isa_level_name(runs) + ")";
  if (width_class(usable) > width_class(runs)) {
    const std::string could = std::string(isa_level_name(usable)) + " (" + openblas_core_for(usable) + " kernels)";
    const std::string slower = "training is " + slowdown(runs, usable);
    const char* forced = env ? env("OPENBLAS_CORETYPE") : nullptr;
    if (forced && *forced)
      return head + ", but this CPU supports " + could + ": " + slower + "; OPENBLAS_CORETYPE=" + forced +
             " in the environment selects them — unset it";
    return head + ", but this CPU supports " + could + ": " + slower +
           "; nothing in the environment selects them, so this OpenBLAS does not know this CPU model (a newer "
           "release may) or was built without those kernels; OPENBLAS_CORETYPE=" + openblas_core_for(usable) +
           " selects them";
  }
  // cpuid offers more than the OS enables: OpenBLAS is right not to use it (the instructions
  // would fault), and so is every program. A VM's CPU model is the usual cause.
  const std::string hidden = width_class(usable) < width_class(IsaLevel::avx) ? "AVX" : "AVX-512";
  return head + ", although this CPU has " + isa_level_name(advertised) + " (" + openblas_core_for(advertised) +
         " kernels): the operating system does not enable the " + hidden +
         " registers (cpuid OSXSAVE / XGETBV; a hypervisor hiding them?), so no program can use them here and "
         "training is " + slowdown(runs, advertised) + "; enable " + hidden + " in the VM's CPU configuration";
}

LinkedBlas linked_blas() {
  LinkedBlas b;
#ifdef AAFGAN_WITH_OPENBLAS
  b.openblas = true;
  // "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH … Haswell MAX_THREADS=64": the version is the second word.
  std::istringstream config(openblas_get_config() ? openblas_get_config() : "");
  std::string name;
  config >> name >> b.version;
  b.core = openblas_get_corename() ? openblas_get_corename() : "";
  const int parallel = openblas_get_parallel();
  b.threading = parallel == 2 ? "OpenMP" : parallel == 1 ? "pthreads" : "sequential";
  // The OpenMP build sizes each call's team by omp_get_max_threads() (so it follows --threads);
  // openblas_get_num_threads() keeps reporting its start-up count.
  b.threads = parallel == 0 ? 1 : omp_get_max_threads();
  b.start_threads = openblas_get_num_threads();
#else
  b.version = std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
              std::to_string(EIGEN_MINOR_VERSION);
  b.threads = Eigen::nbThreads();
#endif
  return b;
}

std::string describe_blas(const LinkedBlas& b) {
  const std::string threads = std::to_string(b.threads) + (b.threads == 1 ? " thread" : " threads");
  if (!b.openblas) return "GEMM on Eigen " + b.version + " (built without OpenBLAS), " + threads;
  return "GEMM on OpenBLAS " + b.version + " (" + b.threading + "), core " + (b.core.empty() ? "unknown" : b.core) +
         ", " + threads;
}

std::string linked_blas_warning() {
  const LinkedBlas b = linked_blas();
  if (!b.openblas) return {};
  return blas_core_warning(b.core, detect_cpu_features(), [](const char* name) { return std::getenv(name); });
}

}  // namespace aafgan::kernels::cpu
