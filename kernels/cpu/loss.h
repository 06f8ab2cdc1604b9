#pragma once
// defines: bce_forward, bce_backward, log_softmax_forward, log_softmax_backward, nll_forward,
//          nll_backward
//
// CPU twins of kernels/cuda/loss.h: binary cross-entropy, log-softmax along dimension 1 of
// [N, C] and the negative log-likelihood, forward and backward, with the formulas of
// kernels/math/loss.h. Host pointers; the CUDA functions add a workspace (forward means) and a
// stream.
//
// Invalid inputs (a prediction outside [0, 1], a label that is not a class index) are not
// thrown here, exactly as on the GPU: `first_invalid`, when not null, receives the index of the
// first invalid element (BCE) or row (nll), or 0xFFFFFFFF when all are valid, for the caller to
// report; the loss is then not meaningful.
#include <cstdint>

namespace aafgan::kernels::cpu {

// *loss = −mean of bce_term(p[i], target[i]).
template <typename T>
void bce_forward(const T* p, const T* target, T* loss, int64_t n, uint32_t* first_invalid);

// gp = ∂loss/∂p, gt = ∂loss/∂target (each skipped when null), scaled by the upstream *gloss.
template <typename T>
void bce_backward(const T* p, const T* target, const T* gloss, T* gp, T* gt, int64_t n);

template <typename T>
void log_softmax_forward(const T* x, T* y, int64_t rows, int64_t cols);

// From the forward's output y and the upstream gradient g.
template <typename T>
void log_softmax_backward(const T* y, const T* g, T* gx, int64_t rows, int64_t cols);

// *loss = −mean over rows of logp[r, labels[r]]; labels hold class indices as T.
template <typename T>
void nll_forward(const T* logp, const T* labels, T* loss, int64_t rows, int64_t cols, uint32_t* first_invalid);

// gx = 0 except gx[r, labels[r]] = −*gloss / rows.
template <typename T>
void nll_backward(const T* labels, const T* gloss, T* gx, int64_t rows, int64_t cols);

}  // namespace aafgan::kernels::cpu
