#include "kernels/cpu/pointwise.h"

#include "kernels/cpu/parallel.h"

namespace aafgan::kernels::cpu {

// The op is turned into a template argument once, outside the loop, so each op gets its own
// loop with the formula inlined (and vectorised where the formula allows), as tight as a loop
// written for that op alone.

template <typename T>
void unary_forward(UnaryOp op, const T* x, T* y, int64_t n, double a, double b) {
  const T ta = static_cast<T>(a), tb = static_cast<T>(b);
  dispatch_unary(op, [&](auto tag) {
    constexpr UnaryOp Op = decltype(tag)::value;
    parallel_for(n, [&](int64_t i) { y[i] = unary_fwd<Op>(x[i], ta, tb); });
  });
}

template <typename T>
void unary_backward(UnaryOp op, const T* saved, const T* g, T* gx, int64_t n, double a, double b) {
  const T ta = static_cast<T>(a), tb = static_cast<T>(b);
  dispatch_unary(op, [&](auto tag) {
    constexpr UnaryOp Op = decltype(tag)::value;
    parallel_for(n, [&](int64_t i) { gx[i] = unary_bwd<Op>(saved[i], g[i], ta, tb); });
  });
}

template void unary_forward<float>(UnaryOp, const float*, float*, int64_t, double, double);
template void unary_forward<double>(UnaryOp, const double*, double*, int64_t, double, double);
template void unary_backward<float>(UnaryOp, const float*, const float*, float*, int64_t, double, double);
template void unary_backward<double>(UnaryOp, const double*, const double*, double*, int64_t, double, double);

}  // namespace aafgan::kernels::cpu
