#pragma once
// defines: loss_workspace_bytes, bce_forward, bce_backward, log_softmax_forward,
//          log_softmax_backward, nll_forward, nll_backward
//
// CUDA kernels of the engine's losses (engine/ops/loss.cpp): binary cross-entropy, log-softmax
// along dimension 1 of [N, C], and the negative log-likelihood, forward and backward, with the
// formulas of kernels/math/*.h that the CPU ops use.
//
// Sums are deterministic (no atomics on floating-point values; an order fixed by the sizes), in
// double, rounded to T once:
// - the loss means (BCE, nll) sum their per-element terms as reduce.h's sum_all does (blocks of
//   consecutive elements, a fixed block tree, the blocks' partials added in order by one block);
// - a log-softmax row of at most 64 classes is handled by one thread in the CPU's order (the same
//   bits but for CUDA's exp/log, which may differ from glibc's by an ulp); a longer row by one
//   block, with a fixed tree.
// The upstream gradient of a loss is read from device memory (`gloss`, one element), so nothing
// is read back to the host. The CPU ops throw on invalid inputs (a prediction outside [0, 1], a
// label that is not a class index); the kernels cannot, without a device-to-host copy: they give
// a NaN loss, write the first invalid input they meet into the device's error record
// (error_record.h, read by the caller where it waits for the device anyway) and, when
// `first_invalid` is set, store there the index of the first invalid element (BCE) or row (nll),
// or 0xFFFFFFFF when all are valid.
//
// No CUDA headers; device pointers; work on `stream` (nullptr = default stream), nothing
// synchronises; sizes at most 2^31 − 1 elements; failures throw std::runtime_error naming the
// function or kernel and the sizes. Templates are instantiated for float and double.
#include <cstddef>
#include <cstdint>

namespace aafgan::kernels::cuda {

// Scratch of the loss means: the blocks' partial sums (0 when one block does it all). Depends
// only on the element count (BCE: n; nll: rows).
size_t loss_workspace_bytes(int64_t n);

// *loss = −(1/n)·Σ_i [t_i·max(log p_i, −100) + (1 − t_i)·max(log(1 − p_i), −100)], n ≥ 1.
// A NaN prediction gives a NaN loss, as on the CPU.
template <typename T>
void bce_forward(const T* p, const T* target, T* loss, int64_t n, uint32_t* first_invalid, void* workspace,
                      size_t workspace_bytes, void* stream);

// With s = *gloss / n: gp[i] = s·(p − t)/max(p(1 − p), 1e-12) and gt[i] = s·(max(log(1 − p), −100)
// − max(log p, −100)); either output may be null (not wanted).
template <typename T>
void bce_backward(const T* p, const T* target, const T* gloss, T* gp, T* gt, int64_t n, void* stream);

// y = x − logsumexp(x) along each row of x [rows, cols] (cols ≥ 1).
template <typename T>
void log_softmax_forward(const T* x, T* y, int64_t rows, int64_t cols, void* stream);

// gx = g − exp(y)·Σ_row g, from the forward's output y.
template <typename T>
void log_softmax_backward(const T* y, const T* g, T* gx, int64_t rows, int64_t cols, void* stream);

// *loss = −(1/rows)·Σ_r logp[r, labels[r]]; labels [rows] hold class indices as values of T
// (convert a label tensor of the other dtype first, convert). rows ≥ 1.
template <typename T>
void nll_forward(const T* logp, const T* labels, T* loss, int64_t rows, int64_t cols, uint32_t* first_invalid,
                      void* workspace, size_t workspace_bytes, void* stream);

// gx [rows, cols] = 0 except gx[r, labels[r]] = −*gloss / rows (rows with an invalid label stay 0).
template <typename T>
void nll_backward(const T* labels, const T* gloss, T* gx, int64_t rows, int64_t cols, void* stream);

extern template void bce_forward<float>(const float*, const float*, float*, int64_t, uint32_t*, void*, size_t,
                                             void*);
extern template void bce_forward<double>(const double*, const double*, double*, int64_t, uint32_t*, void*, size_t,
                                              void*);
extern template void bce_backward<float>(const float*, const float*, const float*, float*, float*, int64_t,
                                              void*);
extern template void bce_backward<double>(const double*, const double*, const double*, double*, double*, int64_t,
                                               void*);
extern template void log_softmax_forward<float>(const float*, float*, int64_t, int64_t, void*);
extern template void log_softmax_forward<double>(const double*, double*, int64_t, int64_t, void*);
extern template void log_softmax_backward<float>(const float*, const float*, float*, int64_t, int64_t, void*);
extern template void log_softmax_backward<double>(const double*, const double*, double*, int64_t, int64_t,
                                                       void*);
extern template void nll_forward<float>(const float*, const float*, float*, int64_t, int64_t, uint32_t*, void*,
                                             size_t, void*);
extern template void nll_forward<double>(const double*, const double*, double*, int64_t, int64_t, uint32_t*,
                                              void*, size_t, void*);
extern template void nll_backward<float>(const float*, const float*, float*, int64_t, int64_t, void*);
extern template void nll_backward<double>(const double*, const double*, double*, int64_t, int64_t, void*);

}  // namespace aafgan::kernels::cuda
