#pragma once
// defines: BlasAddressSpace, fit_blas_address_space, address_space_limit, address_space_in_use
//
// Whether the GEMM can live within the process's address-space limit (RLIMIT_AS, `ulimit -v`).
// OpenBLAS 0.3.21 maps one 128 MiB buffer per thread on its first GEMM and, when that fails,
// retries forever inside blas_memory_alloc: the run hangs after its "data:" line and a first
// SIGTERM (which only asks training to stop after the batch) never gets there. So the limit is
// checked at start-up instead, against what is mapped already (a CUDA build's cuBLAS and cuDNN
// alone are about 1 GB) plus what the threads' buffers will take. The decision is a pure
// function, tested without changing the limit; nothing here prints: the apps do.
#include <cstdint>
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
// (Eigen needs no buffer of its own, only the threads' stacks).
BlasAddressSpace fit_blas_address_space(uint64_t limit_bytes, uint64_t in_use_bytes, int threads, bool openblas);

// RLIMIT_AS's soft limit in bytes, UINT64_MAX when unlimited.
uint64_t address_space_limit();
// The address space this process maps now (/proc/self/statm's size), 0 when unknown.
uint64_t address_space_in_use();

}  // namespace aafgan::kernels::cpu
