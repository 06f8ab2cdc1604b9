#pragma once
// defines: act_forward, act_backward
//
// Fused CPU loops of the adaptive activations (math in kernels/math/activations.h).
//
// Layout: x holds n = B·P·inner elements, viewed as [B, P, inner]; element i uses parameter
// slot j = (i / inner) % P of each parameter array. Per-feature parameters ([n] after Linear,
// [C,H,W] on images) are inner = 1; the per-channel [C] mode on [N,C,H,W] is P = C,
// inner = H·W. Mish has no parameters: pass params = nullptr, P = 1.
#include <cstdint>

#include "kernels/math/activations.h"

namespace aafgan::kernels::cpu {

// y = f(x). params[k] points at P values (k < act_param_count(act)).
template <typename T>
void act_forward(Act act, Range range, const T* x, T* y, int64_t n, const T* const* params, int64_t P,
                     int64_t inner);

// One pass: gx = gy·f'(x) (skipped when gx is null) and, for each parameter k whose gparams[k]
// is not null, gparams[k][j] = Σ over the elements of slot j of gy·∂f/∂p_k, overwritten (not
// accumulated). The sums run in double in a fixed order that depends only on the sizes, never
// on the thread count, so results are bit-identical from run to run.
template <typename T>
void act_backward(Act act, Range range, const T* x, const T* gy, T* gx, T* const* gparams, int64_t n,
                      const T* const* params, int64_t P, int64_t inner);

extern template void act_forward<float>(Act, Range, const float*, float*, int64_t, const float* const*,
                                            int64_t, int64_t);
extern template void act_forward<double>(Act, Range, const double*, double*, int64_t, const double* const*,
                                             int64_t, int64_t);
extern template void act_backward<float>(Act, Range, const float*, const float*, float*, float* const*,
                                             int64_t, const float* const*, int64_t, int64_t);
extern template void act_backward<double>(Act, Range, const double*, const double*, double*, double* const*,
                                              int64_t, const double* const*, int64_t, int64_t);

}  // namespace aafgan::kernels::cpu
