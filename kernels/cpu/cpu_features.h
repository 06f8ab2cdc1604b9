#pragma once
// defines: IsaLevel, isa_level_name, CpuFeatures, detect_cpu_features, advertised_level, usable_level
//
// The x86-64 vector instruction sets this CPU has, read from cpuid and xgetbv, for telling
// whether the BLAS runs kernels below what the machine offers (kernels/cpu/blas_info.h). The
// levels are the steps that matter for GEMM kernels, not every cpuid bit. Other architectures
// report nothing (x86_64 false): no level, hence never a warning.

namespace aafgan::kernels::cpu {

// Ordered: a level includes every level below it.
enum class IsaLevel { unknown, sse2, sse3, sse4, avx, avx2, avx512 };

// "SSE3", "AVX2/FMA", "AVX-512", …
const char* isa_level_name(IsaLevel level);

struct CpuFeatures {
  bool x86_64 = false;
  // What cpuid advertises.
  bool sse3 = false, sse4_1 = false, avx = false, fma = false, avx2 = false, avx512f = false, avx512vl = false;
  // Whether the operating system saves the wider registers on a context switch (cpuid OSXSAVE,
  // then xgetbv's XCR0): without it, AVX instructions fault whatever cpuid says. Hypervisors
  // sometimes hide this while passing the cpuid bits through.
  bool osxsave = false, os_ymm = false, os_zmm = false;
};

// This machine's features (all false off x86-64).
CpuFeatures detect_cpu_features();

// The highest level cpuid advertises, whether or not the OS lets programs use it.
IsaLevel advertised_level(const CpuFeatures& f);
// The highest level a program can run here: cpuid and the OS's register support, checked as
// OpenBLAS checks them before it picks a core (AVX-512 counts only with AVX512VL, which its
// SkylakeX kernels need).
IsaLevel usable_level(const CpuFeatures& f);

}  // namespace aafgan::kernels::cpu
