// Whether OpenBLAS runs older kernels than the CPU offers (kernels/cpu/blas_info.h): the decision
// from a core name, CPU features and an environment given here, not this machine's; and the
// detection and the startup line on this machine.
#include <doctest/doctest.h>

#include <omp.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "kernels/cpu/blas_info.h"
#include "kernels/cpu/cpu_features.h"

using namespace aafgan::kernels::cpu;

namespace {

// A CPU with the instruction sets up to `level`, all enabled by the OS.
CpuFeatures cpu_with(IsaLevel level) {
  CpuFeatures f;
  f.x86_64 = true;
  f.sse3 = level >= IsaLevel::sse3;
  f.sse4_1 = level >= IsaLevel::sse4;
  f.avx = level >= IsaLevel::avx;
  f.fma = f.avx2 = level >= IsaLevel::avx2;
  f.avx512f = f.avx512vl = level >= IsaLevel::avx512;
  f.osxsave = f.os_ymm = f.os_zmm = true;
  return f;
}

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

const EnvLookup kNoEnv = env_of({});

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("blas info: Prescott kernels on an AVX2/FMA CPU with OPENBLAS_CORETYPE=Prescott are named with 2-4x and the variable") {
  const std::string w = blas_core_warning("Prescott", cpu_with(IsaLevel::avx2), env_of({{"OPENBLAS_CORETYPE", "Prescott"}}));
  INFO(w);
  CHECK(has(w, "OpenBLAS runs its Prescott kernels (SSE3)"));
  CHECK(has(w, "this CPU supports AVX2/FMA (Haswell kernels)"));
  CHECK(has(w, "about 2-4x slower"));
  CHECK(has(w, "OPENBLAS_CORETYPE=Prescott in the environment selects them"));
  // One line: the apps print it as one "warning: …" line.
  CHECK(w.find('\n') == std::string::npos);
}

TEST_CASE("blas info: Prescott kernels on an AVX-512 CPU name AVX-512 and the SkylakeX kernels") {
  const std::string w = blas_core_warning("Prescott", cpu_with(IsaLevel::avx512), env_of({{"OPENBLAS_CORETYPE", "prescott"}}));
  INFO(w);
  CHECK(has(w, "this CPU supports AVX-512 (SkylakeX kernels)"));
  CHECK(has(w, "OPENBLAS_CORETYPE=prescott in the environment"));
  CHECK(has(w, "about 2.5-3x slower"));
}

TEST_CASE("blas info: cores that match the CPU are not warned about") {
  CHECK(blas_core_warning("Haswell", cpu_with(IsaLevel::avx2), kNoEnv).empty());
  CHECK(blas_core_warning("Zen", cpu_with(IsaLevel::avx2), kNoEnv).empty());
  CHECK(blas_core_warning("Excavator", cpu_with(IsaLevel::avx2), kNoEnv).empty());
  CHECK(blas_core_warning("SkylakeX", cpu_with(IsaLevel::avx512), kNoEnv).empty());
  CHECK(blas_core_warning("Cooperlake", cpu_with(IsaLevel::avx512), kNoEnv).empty());
  CHECK(blas_core_warning("SapphireRapids", cpu_with(IsaLevel::avx512), kNoEnv).empty());
  CHECK(blas_core_warning("Sandybridge", cpu_with(IsaLevel::avx), kNoEnv).empty());
  CHECK(blas_core_warning("Nehalem", cpu_with(IsaLevel::sse4), kNoEnv).empty());
  // A core newer than the CPU (a forced one that would fault) is not this warning's business.
  CHECK(blas_core_warning("SkylakeX", cpu_with(IsaLevel::avx2), env_of({{"OPENBLAS_CORETYPE", "SkylakeX"}})).empty());
  // Steps within 128-bit SSE change little: not worth a warning.
  CHECK(blas_core_warning("Prescott", cpu_with(IsaLevel::sse4), env_of({{"OPENBLAS_CORETYPE", "Prescott"}})).empty());
  // A build for one core reports its name in lower case.
  CHECK(blas_core_warning("haswell", cpu_with(IsaLevel::avx2), kNoEnv).empty());
  CHECK_FALSE(blas_core_warning("prescott", cpu_with(IsaLevel::avx2), kNoEnv).empty());
}

TEST_CASE("blas info: Haswell kernels on an AVX-512 CPU get the milder warning") {
  const std::string w = blas_core_warning("Haswell", cpu_with(IsaLevel::avx512), env_of({{"OPENBLAS_CORETYPE", "Haswell"}}));
  INFO(w);
  CHECK(has(w, "OpenBLAS runs its Haswell kernels (AVX2/FMA)"));
  CHECK(has(w, "AVX-512 (SkylakeX kernels)"));
  CHECK(has(w, "about 1.2x slower"));
  CHECK_FALSE(has(w, "4x"));
  CHECK(has(w, "OPENBLAS_CORETYPE=Haswell in the environment"));
}

TEST_CASE("blas info: each downgrade quotes its own measured factor") {
  CHECK(has(blas_core_warning("Sandybridge", cpu_with(IsaLevel::avx2), kNoEnv), "about 1.4x slower"));
  CHECK(has(blas_core_warning("Sandybridge", cpu_with(IsaLevel::avx512), kNoEnv), "about 1.7x slower"));
  CHECK(has(blas_core_warning("Nehalem", cpu_with(IsaLevel::avx), kNoEnv), "about 1.5-2x slower"));
  CHECK(has(blas_core_warning("Core2", cpu_with(IsaLevel::avx512), kNoEnv), "about 2.5-3x slower"));
}

TEST_CASE("blas info: unknown core names and non-x86 CPUs are never warned about") {
  for (const char* core : {"", "Unknown", "Katmai", "ARMV8", "NEOVERSEN1", "POWER9", "Haswell2", "SkylakeX "})
    CHECK_MESSAGE(blas_core_warning(core, cpu_with(IsaLevel::avx512), env_of({{"OPENBLAS_CORETYPE", core}})).empty(),
                  core);
  CHECK(openblas_core_level("Unknown") == IsaLevel::unknown);
  CpuFeatures arm;  // detect_cpu_features() off x86-64: nothing set
  CHECK(advertised_level(arm) == IsaLevel::unknown);
  CHECK(blas_core_warning("Prescott", arm, kNoEnv).empty());
}

TEST_CASE("blas info: without the variable the warning blames no variable and says how to select the kernels") {
  for (const EnvLookup& env : {kNoEnv, env_of({{"OPENBLAS_CORETYPE", ""}}), env_of({{"OPENBLAS_VERBOSE", "2"}})}) {
    const std::string w = blas_core_warning("Prescott", cpu_with(IsaLevel::avx2), env);
    INFO(w);
    CHECK(has(w, "OpenBLAS runs its Prescott kernels"));
    CHECK(has(w, "nothing in the environment selects them"));
    CHECK(has(w, "OPENBLAS_CORETYPE=Haswell selects them"));
    CHECK_FALSE(has(w, "unset"));
    CHECK_FALSE(has(w, "OPENBLAS_VERBOSE"));
  }
  // A null lookup is an empty environment.
  CHECK(has(blas_core_warning("Prescott", cpu_with(IsaLevel::avx2), nullptr), "nothing in the environment"));
}

TEST_CASE("blas info: AVX the OS does not enable is reported as the cause, not the environment") {
  // cpuid passes AVX2 through, but OSXSAVE is off (a hypervisor hiding XSAVE): nothing can use AVX.
  CpuFeatures hidden = cpu_with(IsaLevel::avx2);
  hidden.osxsave = hidden.os_ymm = hidden.os_zmm = false;
  CHECK(usable_level(hidden) == IsaLevel::sse4);
  CHECK(advertised_level(hidden) == IsaLevel::avx2);
  const std::string w = blas_core_warning("Prescott", hidden, env_of({{"OPENBLAS_CORETYPE", "Prescott"}}));
  INFO(w);
  CHECK(has(w, "OpenBLAS runs its Prescott kernels"));
  CHECK(has(w, "this CPU has AVX2/FMA (Haswell kernels)"));
  CHECK(has(w, "does not enable the AVX registers"));
  CHECK(has(w, "XGETBV"));
  CHECK(has(w, "about 2-4x slower"));
  CHECK_FALSE(has(w, "unset"));
  // OSXSAVE on, but XCR0 without the YMM state: the same.
  hidden.osxsave = true;
  CHECK(has(blas_core_warning("Nehalem", hidden, kNoEnv), "does not enable the AVX registers"));
  // AVX-512 advertised, only YMM enabled: OpenBLAS's Haswell choice is right, the OS is the cause.
  CpuFeatures no_zmm = cpu_with(IsaLevel::avx512);
  no_zmm.os_zmm = false;
  CHECK(usable_level(no_zmm) == IsaLevel::avx2);
  const std::string z = blas_core_warning("Haswell", no_zmm, kNoEnv);
  INFO(z);
  CHECK(has(z, "does not enable the AVX-512 registers"));
  CHECK(has(z, "about 1.2x slower"));
}

TEST_CASE("blas info: CPU levels follow cpuid and the OS's register support as OpenBLAS checks them") {
  CHECK(advertised_level(cpu_with(IsaLevel::sse2)) == IsaLevel::sse2);
  for (const IsaLevel l : {IsaLevel::sse3, IsaLevel::sse4, IsaLevel::avx, IsaLevel::avx2, IsaLevel::avx512}) {
    CHECK(advertised_level(cpu_with(l)) == l);
    CHECK(usable_level(cpu_with(l)) == l);
  }
  // AVX2 without FMA is no Haswell, AVX-512F without VL no SkylakeX (Knights Landing).
  CpuFeatures f = cpu_with(IsaLevel::avx2);
  f.fma = false;
  CHECK(advertised_level(f) == IsaLevel::avx);
  f = cpu_with(IsaLevel::avx512);
  f.avx512vl = false;
  CHECK(advertised_level(f) == IsaLevel::avx2);
  CHECK(std::string(isa_level_name(IsaLevel::avx512)) == "AVX-512");
  CHECK(openblas_core_level("SkylakeX") == IsaLevel::avx512);
  CHECK(openblas_core_level("sandybridge") == IsaLevel::avx);
  CHECK(openblas_core_level("Core2") == IsaLevel::sse3);
  CHECK(openblas_core_level("Dunnington") == IsaLevel::sse4);
  CHECK(openblas_core_level("Piledriver") == IsaLevel::avx);
  for (const IsaLevel l : {IsaLevel::sse3, IsaLevel::sse4, IsaLevel::avx, IsaLevel::avx2, IsaLevel::avx512})
    CHECK(openblas_core_level(openblas_core_for(l)) == l);
}

TEST_CASE("blas info: the startup line names the library with its threading and the core and the threads") {
  LinkedBlas ob;
  ob.openblas = true;
  ob.version = "0.3.21";
  ob.threading = "OpenMP";
  ob.core = "Haswell";
  ob.threads = 2;
  CHECK(describe_blas(ob) == "GEMM on OpenBLAS 0.3.21 (OpenMP), core Haswell, 2 threads");
  ob.threads = 1;
  CHECK(describe_blas(ob) == "GEMM on OpenBLAS 0.3.21 (OpenMP), core Haswell, 1 thread");
  LinkedBlas eigen;
  eigen.version = "3.4.0";
  eigen.threads = 4;
  CHECK(describe_blas(eigen) == "GEMM on Eigen 3.4.0 (built without OpenBLAS), 4 threads");
}

TEST_CASE("blas info: this machine's features agree with the kernel's /proc/cpuinfo flags") {
  const CpuFeatures f = detect_cpu_features();
  std::ifstream in("/proc/cpuinfo");
  std::string line, flags;
  while (std::getline(in, line))
    if (line.rfind("flags", 0) == 0) {
      flags = " " + line.substr(line.find(':') + 1) + " ";
      break;
    }
#if defined(__x86_64__)
  REQUIRE_MESSAGE(!flags.empty(), "no flags line in /proc/cpuinfo");
  CHECK(f.x86_64);
  // Linux lists avx/avx2/avx512f only when it also enables their registers (XCR0).
  const auto flag = [&](const char* name) { return has(flags, std::string(" ") + name + " "); };
  CHECK(f.sse3 == flag("pni"));
  CHECK((f.avx && f.os_ymm) == flag("avx"));
  CHECK((f.avx2 && f.os_ymm) == flag("avx2"));
  CHECK((f.fma && f.os_ymm) == flag("fma"));
  CHECK((f.avx512f && f.os_zmm) == flag("avx512f"));
  CHECK((f.avx512vl && f.os_zmm) == flag("avx512vl"));
#else
  CHECK_FALSE(f.x86_64);
  CHECK(usable_level(f) == IsaLevel::unknown);
#endif
}

TEST_CASE("blas info: the linked library reports what it runs") {
  const LinkedBlas b = linked_blas();
  INFO(describe_blas(b));
  CHECK_FALSE(b.version.empty());
  CHECK(b.threads == omp_get_max_threads());
  if (b.openblas) {
    // The build links only OpenBLAS's OpenMP variant (kernels/CMakeLists.txt).
    CHECK(b.threading == "OpenMP");
    CHECK_FALSE(b.core.empty());
#if defined(__x86_64__)
    CHECK(openblas_core_level(b.core) != IsaLevel::unknown);
#endif
  } else {
    CHECK(linked_blas_warning().empty());
  }
}
