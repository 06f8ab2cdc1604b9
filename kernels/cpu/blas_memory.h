#pragma once
// defines: BlasAddressSpace, fit_blas_address_space, openblas_start_threads, address_space_limit,
//          address_space_in_use, blas_start_note
//
// Whether the GEMM can live within the process's address-space limit (RLIMIT_AS, `ulimit -v`).
// OpenBLAS 0.3.21 maps one 128 MiB buffer per thread on its first GEMM and, when that fails,
// retries forever inside blas_memory_alloc: the run hangs after its "data:" line and a first
// SIGTERM (which only asks training to stop after the batch) never gets there. Its constructor
// maps one such buffer per start-up thread too, before main(): below about 1 GB a CUDA build hung
// there. So kernels/cpu/blas_preinit.cpp checks the limit before any library's constructor runs,
// and the apps check it again before the first GEMM, each against what is mapped already (a CUDA
// build's cuBLAS and cuDNN alone are about 1 GB) plus what the threads' buffers will take. The decision is a pure
// function, tested without changing the limit; nothing here prints: the apps do.
#include <cstdint>
#include <functional>
#include <string>

namespace aafgan::kernels::cpu {

struct BlasAddressSpace {
  int threads = 0;            // the most threads, up to those asked for, that fit; 0: not one
  uint64_t needed_bytes = 0;  // the limit that the threads asked for need
  std::string error;          // when not one thread fits: the limit, what is needed, how to raise it
  std::string note;           // when fewer threads fit than were asked for: what was done, how to avoid it
};

// `limit_bytes`: RLIMIT_AS's soft limit (UINT64_MAX for none); `in_use_bytes`: the address space
// mapped now; `threads`: the GEMM threads asked for; `openblas`: the build's GEMM is OpenBLAS
// (Eigen needs no buffer of its own, only the threads' stacks); `buffered_threads`: the threads
// OpenBLAS has mapped a buffer for already (0 before its constructor, its start-up threads after).
// OpenBLAS maps a buffer for each thread it has not buffered yet and, on the first GEMM, one for
// the calling thread.
BlasAddressSpace fit_blas_address_space(uint64_t limit_bytes, uint64_t in_use_bytes, int threads, bool openblas,
                                        int buffered_threads = 0);

// The threads the OpenMP build of OpenBLAS 0.3.21 starts, and maps a buffer for, in its
// constructor: OMP_NUM_THREADS (its leading number, as "4,2" is read), at most `cpus` (the
// machine's configured CPUs: it ignores the affinity mask); `cpus` when it is not set. OPENBLAS_NUM_THREADS and GOTO_NUM_THREADS are
// ignored by that build (measured: VmSize at main()).
int openblas_start_threads(const std::function<const char*(const char*)>& env, int cpus);

// What the start-up check did when the limit left room for fewer threads than OpenBLAS would
// start ("" when it did nothing), for the apps to print: the check ran in the program's first
// image, before it re-executed itself, and passes the note on in the environment.
const std::string& blas_start_note();

// RLIMIT_AS's soft limit in bytes, UINT64_MAX when unlimited.
uint64_t address_space_limit();
// The address space this process maps now (/proc/self/statm's size), 0 when unknown.
uint64_t address_space_in_use();

}  // namespace aafgan::kernels::cpu
