#pragma once
// defines: set_device, current_device, context_stream, synchronize, set_allow_tf32, allow_tf32,
//          set_deterministic, deterministic, has_cudnn, cudnn_version
//
// The per-device CUDA context: one non-blocking stream per device, with a cuBLAS handle and a
// cuDNN handle bound to it, each created once, lazily, on first use, and kept for the life of
// the process (never destroyed: tearing CUDA down from static destructors races the driver's
// own shutdown). This header needs no CUDA headers; the handles stay inside kernels/cuda.
// The cuBLAS handle's workspace (32 MiB from compute capability 9.0 on, 4 MiB before, as
// NVIDIA recommends) is a block of the caching allocator, held as long as the handle, so that
// cuBLAS never allocates on its own: not behind the allocator's back, and not inside a CUDA
// graph capture. cublasSetStream drops that workspace: whoever rebinds the handle to another
// stream must call cublasSetWorkspace again.
//
// Everything in kernels/cuda/gemm.h, cudnn_conv.h and cudnn_batchnorm.h runs on the CURRENT
// device's context stream, and the caching allocator (device_allocator.h) relies on that:
// work enqueued on one stream runs in order, so a block freed after being used by work on the
// context stream can be handed to later work on the same stream without synchronising. Code
// that touches such memory from another stream must announce it with record_stream
// (device_allocator.h) before freeing it. Note that
// the context stream is NON-BLOCKING: it does not wait for the legacy default stream, so the
// synchronous copies of runtime.h (cudaMemcpy on the legacy stream) are not ordered with it.
// Use the *_async copies of pinned_memory.h on context_stream() and synchronize() instead.
//
// The current device is per host thread (cudaSetDevice). A context's handles must not be used
// by two host threads at once: drive one device from one thread at a time.
//
// Failures throw std::runtime_error naming the CUDA call and the runtime's message; without a
// usable GPU that is the driver's reason ("no CUDA-capable device is detected", ...). A build
// without the CUDA toolkit links kernels/cuda/no_cuda_runtime_libs.cpp, whose functions throw
// "this build has no CUDA backend" (the settings below still work there).
#include <cstddef>

namespace aafgan::kernels::cuda {


// Makes device `index` current for this host thread (cudaSetDevice), after checking that it
// exists; its context is created on first use.
void set_device(int index);
// The current device of this host thread (cudaGetDevice).
int current_device();

// The current device's context stream, a cudaStream_t created with cudaStreamNonBlocking.
void* context_stream();
// Waits for everything enqueued on the current device's context stream; asynchronous kernel
// faults surface here.
void synchronize();

// TF32 tensor-core math for float32 GEMMs and convolutions (default off). Off: cuBLAS uses
// CUBLAS_DEFAULT_MATH and float32 convolutions run with CUDNN_FMA_MATH, i.e. true fp32 even
// on Ampere and later (cuDNN's default math may pick TF32 kernels there). On: cuBLAS uses
// CUBLAS_TF32_TENSOR_OP_MATH and convolutions CUDNN_DEFAULT_MATH (TF32 allowed). Never affects
// float64. Process-wide; takes effect from the next call.
void set_allow_tf32(bool on);
bool allow_tf32();

// Deterministic mode (default off). On: convolutions use a fixed list of algorithms that
// cuDNN reports deterministic, chosen by availability rather than by timing, so that two runs
// (also two processes on the same GPU and library versions) give identical bits. Off: the
// fastest algorithm found by benchmarking (cudnnFind*AlgorithmEx) is used, which may be one
// that sums with atomics. GEMMs are deterministic in both modes (one stream per device).
// Process-wide; algorithm choices are cached per mode, so switching back and forth is cheap.
void set_deterministic(bool on);
bool deterministic();

// Whether this build has cuDNN (convolutions and batch norm on the GPU need it), and the
// version of the cuDNN library loaded (e.g. 91900 for 9.19.0; 0 without cuDNN). Never throw.
bool has_cudnn();
int cudnn_version();

}  // namespace aafgan::kernels::cuda
