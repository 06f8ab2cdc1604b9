#pragma once
// defines: openblas_core_level, openblas_core_for, EnvLookup, blas_core_warning, LinkedBlas, linked_blas,
//          describe_blas, linked_blas_warning
//
// Which BLAS the CPU GEMM (kernels/cpu/gemm.h) runs on, and whether OpenBLAS picked kernels below
// what this CPU offers: OPENBLAS_CORETYPE in the environment, or a hypervisor that hides AVX,
// makes it run e.g. its Prescott (SSE3) kernels on an AVX2 machine, 2-4x slower, silently.
// The decision is a pure function of the core name, the CPU's features and the environment, so
// that it is tested without faking the machine. Nothing here prints: the apps do.
#include <functional>
#include <string>
#include <string_view>

#include "kernels/cpu/cpu_features.h"

namespace aafgan::kernels::cpu {

// The instruction-set level of an OpenBLAS core's kernels (a name openblas_get_corename()
// reports, any case). unknown for a name not in the table: such a core is never warned about.
IsaLevel openblas_core_level(std::string_view core);

// The OpenBLAS core that uses `level` best on x86-64: "Haswell" for AVX2/FMA, "SkylakeX" for
// AVX-512, … (a value OPENBLAS_CORETYPE accepts).
const char* openblas_core_for(IsaLevel level);

// An environment variable's value, or nullptr when it is unset (std::getenv in the apps).
using EnvLookup = std::function<const char*(const char*)>;

// One line (without "warning: ") when OpenBLAS's `core` runs older kernels than `cpu` has: both
// named, the expected slowdown, and the cause (the environment variable when one is set, else a
// CPU model OpenBLAS does not know, or an OS that does not enable the AVX registers). Empty when
// the core fits the CPU, is unknown, or the CPU is not x86-64.
std::string blas_core_warning(std::string_view core, const CpuFeatures& cpu, const EnvLookup& env);

// The GEMM library this build links, and what it runs in this process.
struct LinkedBlas {
  bool openblas = false;  // false: Eigen
  std::string version;    // "0.3.21", or Eigen's "3.4.0"
  std::string threading;  // OpenBLAS's: "OpenMP", "pthreads" or "sequential"
  std::string core;       // OpenBLAS's core ("Haswell"); empty for Eigen
  int threads = 1;        // threads a GEMM outside our parallel regions uses
  int start_threads = 0;  // OpenBLAS: the threads its constructor mapped a buffer for
};
LinkedBlas linked_blas();

// "GEMM on OpenBLAS 0.3.21 (OpenMP), core Haswell, 2 threads", or
// "GEMM on Eigen 3.4.0 (built without OpenBLAS), 2 threads".
std::string describe_blas(const LinkedBlas& blas);

// blas_core_warning for this process (OpenBLAS's core, this CPU, the real environment); empty
// for Eigen, which picks its kernels at compile time.
std::string linked_blas_warning();

}  // namespace aafgan::kernels::cpu
