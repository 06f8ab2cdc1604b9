#include "kernels/cpu/elementwise.h"

#include <cstring>

#include "kernels/cpu/parallel.h"

namespace aafgan::kernels::cpu {

namespace {

// Operand reading a[o % inner]: the operand is the output's trailing dimensions from some k on
// (contiguous there) and broadcast along every dimension before k, e.g. a per-feature parameter
// over a batch. inner = n means the operand has the output's shape. 0 when the operand is
// anything else. Size-1 dimensions of the output are ignored: their index is always 0.
int64_t suffix_inner(const BroadcastIndex& bi, const int64_t* stride) {
  int64_t contiguous = 1;
  int k = bi.ndim;
  for (; k > 0; --k) {
    const int d = k - 1;
    if (bi.dims[d] != 1 && stride[d] != contiguous) break;
    contiguous *= bi.dims[d];
  }
  for (int d = 0; d < k; ++d)
    if (bi.dims[d] != 1 && stride[d] != 0) return 0;
  return contiguous;
}

template <BinaryOp Op, typename T>
void binary_loop(const T* a, const T* b, T* out, const BroadcastIndex& bi) {
  int64_t n = 1;
  for (int d = 0; d < bi.ndim; ++d) n *= bi.dims[d];
  if (n == 0) return;
  const int64_t inner_a = suffix_inner(bi, bi.a_stride), inner_b = suffix_inner(bi, bi.b_stride);
  if (inner_a == n && inner_b == n) {
    parallel_for(n, [&](int64_t i) { out[i] = binary_apply<Op>(a[i], b[i]); });
  } else if (inner_a == n && inner_b > 0) {
    parallel_for(n, [&](int64_t i) { out[i] = binary_apply<Op>(a[i], b[i % inner_b]); });
  } else if (inner_b == n && inner_a > 0) {
    parallel_for(n, [&](int64_t i) { out[i] = binary_apply<Op>(a[i % inner_a], b[i]); });
  } else {
    bi.for_each([&](int64_t o, int64_t ia, int64_t ib) { out[o] = binary_apply<Op>(a[ia], b[ib]); });
  }
}

}  // namespace

template <typename T>
void binary(BinaryOp op, const T* a, const T* b, T* out, const BroadcastIndex& index) {
  switch (op) {
    case BinaryOp::add: return binary_loop<BinaryOp::add>(a, b, out, index);
    case BinaryOp::sub: return binary_loop<BinaryOp::sub>(a, b, out, index);
    case BinaryOp::mul: return binary_loop<BinaryOp::mul>(a, b, out, index);
    case BinaryOp::div: return binary_loop<BinaryOp::div>(a, b, out, index);
  }
}

template <typename T>
void affine(const T* x, T* y, int64_t n, double scale, double shift) {
  const T s = static_cast<T>(scale), c = static_cast<T>(shift);
  parallel_for(n, [&](int64_t i) { y[i] = affine_fwd(x[i], s, c); });
}

template <typename T>
void rdiv(double s, const T* x, T* y, int64_t n) {
  const T c = static_cast<T>(s);
  parallel_for(n, [&](int64_t i) { y[i] = rdiv_fwd(c, x[i]); });
}

template <typename T>
void fill(T* out, int64_t n, double value) {
  const T v = static_cast<T>(value);
  for (int64_t i = 0; i < n; ++i) out[i] = v;
}

template <typename T>
void fill_from_device(T* out, int64_t n, const T* value) {
  const T v = *value;
  for (int64_t i = 0; i < n; ++i) out[i] = v;
}

template <typename S, typename D>
void convert(const S* src, D* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<D>(src[i]);
}

void copy_rows(void* dst, int64_t dst_pitch, const void* src, int64_t src_pitch, int64_t rows, int64_t row_bytes) {
  for (int64_t r = 0; r < rows; ++r)
    std::memcpy(static_cast<char*>(dst) + r * dst_pitch, static_cast<const char*>(src) + r * src_pitch,
                static_cast<size_t>(row_bytes));
}

template <typename T>
void expand_dim(const T* g, T* gx, int64_t outer, int64_t size, int64_t inner) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < size; ++k)
      for (int64_t i = 0; i < inner; ++i) gx[(o * size + k) * inner + i] = g[o * inner + i];
}

#define AAFGAN_INSTANTIATE(T)                                                             \
  template void binary<T>(BinaryOp, const T*, const T*, T*, const BroadcastIndex&);       \
  template void affine<T>(const T*, T*, int64_t, double, double);                         \
  template void rdiv<T>(double, const T*, T*, int64_t);                                   \
  template void fill<T>(T*, int64_t, double);                                             \
  template void fill_from_device<T>(T*, int64_t, const T*);                               \
  template void expand_dim<T>(const T*, T*, int64_t, int64_t, int64_t);
AAFGAN_INSTANTIATE(float)
AAFGAN_INSTANTIATE(double)
#undef AAFGAN_INSTANTIATE

template void convert<float, double>(const float*, double*, int64_t);
template void convert<double, float>(const double*, float*, int64_t);

}  // namespace aafgan::kernels::cpu
