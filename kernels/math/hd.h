#pragma once
// Marks functions that both the CPU loops and the CUDA kernels call, so each formula is
// written once.
#if defined(__CUDACC__)
#define AAFGAN_HD __host__ __device__ __forceinline__
#else
#define AAFGAN_HD inline
#endif
