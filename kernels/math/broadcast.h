#pragma once
// Index arithmetic for NumPy-style broadcasting over at most five dimensions.
#include <cstdint>

namespace aafgan::kernels {

constexpr int kMaxBroadcastDims = 5;

// Shapes left-padded with 1 to the output's rank; an operand's stride is 0 along every
// dimension it is broadcast over.
struct BroadcastIndex {
  int ndim = 0;
  int64_t dims[kMaxBroadcastDims] = {};
  int64_t a_stride[kMaxBroadcastDims] = {};
  int64_t b_stride[kMaxBroadcastDims] = {};

  // Calls fn(out_index, a_index, b_index) for every output element in order.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    int64_t idx[kMaxBroadcastDims] = {};
    int64_t n = 1;
    for (int d = 0; d < ndim; ++d) n *= dims[d];
    if (n == 0) return;
    int64_t ia = 0, ib = 0;
    const int inner = ndim - 1;
    const int64_t inner_n = ndim ? dims[inner] : 1;
    const int64_t sa = ndim ? a_stride[inner] : 0, sb = ndim ? b_stride[inner] : 0;
    for (int64_t o = 0; o < n;) {
      for (int64_t j = 0; j < inner_n; ++j, ++o) fn(o, ia + j * sa, ib + j * sb);
      // Carry into the outer dimensions.
      int d = inner - 1;
      for (; d >= 0; --d) {
        ++idx[d];
        ia += a_stride[d];
        ib += b_stride[d];
        if (idx[d] < dims[d]) break;
        ia -= a_stride[d] * dims[d];
        ib -= b_stride[d] * dims[d];
        idx[d] = 0;
      }
      if (d < 0) break;
    }
  }
};

// out_dims has out_ndim entries; a and b their own ranks (<= out_ndim), already checked to
// be broadcast-compatible.
inline BroadcastIndex make_broadcast_index(int out_ndim, const int64_t* out_dims, int a_ndim, const int64_t* a_dims,
                                           int b_ndim, const int64_t* b_dims) {
  BroadcastIndex bi;
  bi.ndim = out_ndim;
  int64_t sa = 1, sb = 1;
  for (int d = out_ndim - 1; d >= 0; --d) {
    bi.dims[d] = out_dims[d];
    const int da = d - (out_ndim - a_ndim), db = d - (out_ndim - b_ndim);
    const int64_t ea = da >= 0 ? a_dims[da] : 1, eb = db >= 0 ? b_dims[db] : 1;
    bi.a_stride[d] = (ea == 1 && out_dims[d] != 1) ? 0 : sa;
    bi.b_stride[d] = (eb == 1 && out_dims[d] != 1) ? 0 : sb;
    sa *= ea;
    sb *= eb;
  }
  return bi;
}

}  // namespace aafgan::kernels
