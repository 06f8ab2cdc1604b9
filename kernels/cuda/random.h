#pragma once
// defines: normal_fill, uniform_fill, dropout_forward
//
// CUDA fills from the engine's counter-based generator (kernels/math/philox.h): normal and uniform
// draws (engine/random.cpp, Generator::normal_/uniform_) and the dropout mask
// (kernels/cpu/dropout.h). Element i depends only on (seed, offset, i, stream id), so the same
// generator state gives the same numbers as the CPU:
// - uniform: the same bits (integer Philox, an exact unit double, then low + (high − low)·u with
//   each operation rounded as on the CPU, kernels/math/*.h);
// - dropout: the same bits (integer words compared with an integer threshold);
// - normal: Box-Muller in double through CUDA's log and cos, which may differ from glibc's by an
//   ulp: f64 draws agree to a few ulp, f32 draws (rounded from the double) are the same bits
//   except with probability about 1e-8 per element.
//
// The caller advances the generator exactly as the CPU op does (Generator::advance(n) for the
// fills, advance(dropout_counters(n)) for dropout) and passes the returned start as `offset`.
// `offset_base` (may be null) is a device word added to `offset` when the kernel runs: a CUDA
// graph replays its kernels with the arguments of the capture, so a generator being captured
// numbers its draws from 0 and the replay supplies where the generator stands (engine/random.h).
//
// No CUDA headers; device pointers; work on `stream` (a cudaStream_t; never the legacy default
// stream), nothing synchronises; n at most 2^31 − 1; failures throw std::runtime_error.
#include <cstdint>

namespace aafgan::kernels::cuda {

// out[i] = T(mean + std·philox_normal(seed, offset, i, stream_id)).
template <typename T>
void normal_fill(T* out, int64_t n, uint64_t seed, uint64_t offset, const uint64_t* offset_base, uint32_t stream_id,
                 double mean, double std, void* stream);

// out[i] = T(low + (high − low)·philox_uniform(seed, offset, i, stream_id)).
template <typename T>
void uniform_fill(T* out, int64_t n, uint64_t seed, uint64_t offset, const uint64_t* offset_base, uint32_t stream_id,
                  double low, double high, void* stream);

// The twin of kernels::cpu::dropout_forward, same arguments plus the stream: mask[i] = keep_scale
// when philox_dropout_keep(seed, offset, i, stream_id, threshold), else 0, and y[i] = x[i]·mask[i].
// keep_scale = T(1 / (1 − p)) and threshold = dropout_threshold(p), as the CPU op passes them.
// x and y may be null together (mask only). y may be x.
template <typename T>
void dropout_forward(int64_t n, const T* x, T* y, T* mask, T keep_scale, uint64_t seed, uint64_t offset,
                     const uint64_t* offset_base, uint32_t stream_id, uint32_t threshold, void* stream);

extern template void normal_fill<float>(float*, int64_t, uint64_t, uint64_t, const uint64_t*, uint32_t, double, double, void*);
extern template void normal_fill<double>(double*, int64_t, uint64_t, uint64_t, const uint64_t*, uint32_t, double, double, void*);
extern template void uniform_fill<float>(float*, int64_t, uint64_t, uint64_t, const uint64_t*, uint32_t, double, double, void*);
extern template void uniform_fill<double>(double*, int64_t, uint64_t, uint64_t, const uint64_t*, uint32_t, double, double, void*);
extern template void dropout_forward<float>(int64_t, const float*, float*, float*, float, uint64_t, uint64_t, const uint64_t*,
                                                 uint32_t, uint32_t, void*);
extern template void dropout_forward<double>(int64_t, const double*, double*, double*, double, uint64_t,
                                                  uint64_t, const uint64_t*, uint32_t, uint32_t, void*);

}  // namespace aafgan::kernels::cuda
