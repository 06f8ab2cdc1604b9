#include "kernels/cpu/cpu_features.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#define AAFGAN_X86_64_CPUID 1
#endif

namespace aafgan::kernels::cpu {

const char* isa_level_name(IsaLevel level) {
  switch (level) {
    case IsaLevel::sse2: return "SSE2";
    case IsaLevel::sse3: return "SSE3";
    case IsaLevel::sse4: return "SSE4";
    case IsaLevel::avx: return "AVX";
    case IsaLevel::avx2: return "AVX2/FMA";
    case IsaLevel::avx512: return "AVX-512";
    case IsaLevel::unknown: break;
  }
  return "unknown";
}

CpuFeatures detect_cpu_features() {
  CpuFeatures f;
#ifdef AAFGAN_X86_64_CPUID
  f.x86_64 = true;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d)) {
    f.sse3 = c & (1u << 0);
    f.fma = c & (1u << 12);
    f.sse4_1 = c & (1u << 19);
    f.osxsave = c & (1u << 27);
    f.avx = c & (1u << 28);
  }
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    f.avx2 = b & (1u << 5);
    f.avx512f = b & (1u << 16);
    f.avx512vl = b & (1u << 31);
  }
  // xgetbv faults unless the OS set CR4.OSXSAVE, which cpuid's OSXSAVE bit mirrors.
  if (f.osxsave) {
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    f.os_ymm = (lo & 0x6u) == 0x6u;    // XMM and YMM state
    f.os_zmm = (lo & 0xe0u) == 0xe0u;  // opmask, upper ZMM0-15, ZMM16-31
  }
#endif
  return f;
}

namespace {

IsaLevel level_of(const CpuFeatures& f, bool needs_os_support) {
  if (!f.x86_64) return IsaLevel::unknown;
  const bool ymm = !needs_os_support || (f.osxsave && f.os_ymm);
  const bool zmm = ymm && (!needs_os_support || f.os_zmm);
  if (f.avx && f.avx2 && f.fma && f.avx512f && f.avx512vl && zmm) return IsaLevel::avx512;
  if (f.avx && f.avx2 && f.fma && ymm) return IsaLevel::avx2;
  if (f.avx && ymm) return IsaLevel::avx;
  if (f.sse4_1) return IsaLevel::sse4;
  if (f.sse3) return IsaLevel::sse3;
  return IsaLevel::sse2;  // every x86-64 CPU has SSE2
}

}  // namespace

IsaLevel advertised_level(const CpuFeatures& f) { return level_of(f, false); }
IsaLevel usable_level(const CpuFeatures& f) { return level_of(f, true); }

}  // namespace aafgan::kernels::cpu
