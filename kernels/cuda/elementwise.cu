// Elementwise arithmetic and data movement (see elementwise.h). Every kernel is a grid-stride
// loop with one work item per thread step: a 16-byte unit of V elements where the layout allows
// it (vector accesses when the pointers are aligned, element by element otherwise), or a single
// element where each element needs its own index math (broadcasts, conversions, expansions).
// Results do not depend on the grid: each element is computed alone.
#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/elementwise.h"
#include "kernels/math/elementwise.h"

namespace aafgan::kernels::cuda {

using namespace ops_detail;

namespace {

constexpr int kMaxDims = kMaxBroadcastDims;

// A broadcast after merging: dimensions innermost first, each operand's strides in elements.
struct BcastPlan {
  int ndim = 0;
  uint32_t dims[kMaxDims] = {};
  FastDiv div[kMaxDims];
  uint32_t sa[kMaxDims] = {}, sb[kMaxDims] = {};
};

// --- kernels --------------------------------------------------------------------------------------

// The binary kernels may write in place (out = a or b): no __restrict__.
template <BinaryOp Op, typename T>
__global__ void __launch_bounds__(kThreads)
    binary_flat_kernel(const T* a, const T* b, T* out, uint32_t n, bool vec) {
  constexpr int V = vec_width<T>();
  const uint32_t units = (n + V - 1) / V;
  for (uint32_t u = blockIdx.x * blockDim.x + threadIdx.x; u < units; u += gridDim.x * blockDim.x) {
    const uint32_t i0 = u * V;
    const int count = static_cast<int>(min(n - i0, uint32_t(V)));
    T av[V], bv[V], ov[V];
    load_unit<T>(a + i0, count, vec, av);
    load_unit<T>(b + i0, count, vec, bv);
#pragma unroll
    for (int l = 0; l < V; ++l) ov[l] = binary_apply<Op>(av[l], bv[l]);
    store_unit<T>(out + i0, count, vec, ov);
  }
}

template <BinaryOp Op, typename T>
__global__ void __launch_bounds__(kThreads)
    binary_bcast_kernel(const T* a, const T* b, T* out, uint32_t n, BcastPlan p) {
  for (uint32_t o = blockIdx.x * blockDim.x + threadIdx.x; o < n; o += gridDim.x * blockDim.x) {
    uint32_t rem = o, ia = 0, ib = 0;
#pragma unroll
    for (int d = 0; d < kMaxDims; ++d) {
      if (d < p.ndim) {
        const uint32_t q = p.div[d].div(rem);
        const uint32_t c = rem - q * p.dims[d];
        ia += c * p.sa[d];
        ib += c * p.sb[d];
        rem = q;
      }
    }
    out[o] = binary_apply<Op>(a[ia], b[ib]);
  }
}

// y = s·x + t (Affine) or y = s / x, unit by unit. y may be x: no __restrict__.
template <typename T, bool Affine>
__global__ void __launch_bounds__(kThreads) scalar_map_kernel(const T* x, T* y, uint32_t n, T s, T t, bool vec) {
  constexpr int V = vec_width<T>();
  const uint32_t units = (n + V - 1) / V;
  for (uint32_t u = blockIdx.x * blockDim.x + threadIdx.x; u < units; u += gridDim.x * blockDim.x) {
    const uint32_t i0 = u * V;
    const int count = static_cast<int>(min(n - i0, uint32_t(V)));
    T xv[V], yv[V];
    load_unit<T>(x + i0, count, vec, xv);
#pragma unroll
    for (int l = 0; l < V; ++l) {
      if constexpr (Affine) yv[l] = affine_fwd(xv[l], s, t);
      else yv[l] = rdiv_fwd(s, xv[l]);
    }
    store_unit<T>(y + i0, count, vec, yv);
  }
}

// out[i] = *src when src is set, else v.
template <typename T>
__global__ void __launch_bounds__(kThreads) fill_kernel(T* out, uint32_t n, T v, const T* src, bool vec) {
  constexpr int V = vec_width<T>();
  if (src) v = *src;
  T vv[V];
#pragma unroll
  for (int l = 0; l < V; ++l) vv[l] = v;
  const uint32_t units = (n + V - 1) / V;
  for (uint32_t u = blockIdx.x * blockDim.x + threadIdx.x; u < units; u += gridDim.x * blockDim.x) {
    const uint32_t i0 = u * V;
    store_unit<T>(out + i0, static_cast<int>(min(n - i0, uint32_t(V))), vec, vv);
  }
}

template <typename S, typename D>
__global__ void __launch_bounds__(kThreads) convert_kernel(const S* __restrict__ src, D* __restrict__ dst, uint32_t n) {
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    dst[i] = static_cast<D>(src[i]);
}

// Units of type U (1 to 16 bytes); pitches and the row width in units.
template <typename U>
__global__ void __launch_bounds__(kThreads)
    copy_rows_kernel(U* __restrict__ dst, uint64_t dst_pitch, const U* __restrict__ src, uint64_t src_pitch,
                     uint32_t total, uint32_t row_units, FastDiv row_div) {
  for (uint32_t idx = blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += gridDim.x * blockDim.x) {
    const uint32_t r = row_div.div(idx);
    const uint32_t c = idx - r * row_units;
    dst[r * dst_pitch + c] = src[r * src_pitch + c];
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    expand_dim_kernel(const T* __restrict__ g, T* __restrict__ gx, uint32_t n, uint32_t size, uint32_t inner,
                      FastDiv inner_div, FastDiv size_div) {
  for (uint32_t idx = blockIdx.x * blockDim.x + threadIdx.x; idx < n; idx += gridDim.x * blockDim.x) {
    const uint32_t q = inner_div.div(idx);  // o·size + k
    const uint32_t i = idx - q * inner;
    const uint32_t o = size_div.div(q);
    gx[idx] = g[o * inner + i];
  }
}

// --- host side ------------------------------------------------------------------------------------

std::string index_str(const BroadcastIndex& bi) {
  std::string s = "out [";
  for (int d = 0; d < bi.ndim; ++d) s += (d ? "," : "") + std::to_string(bi.dims[d]);
  s += "], a strides [";
  for (int d = 0; d < bi.ndim; ++d) s += (d ? "," : "") + std::to_string(bi.a_stride[d]);
  s += "], b strides [";
  for (int d = 0; d < bi.ndim; ++d) s += (d ? "," : "") + std::to_string(bi.b_stride[d]);
  return s + "]";
}

// Drops the size-1 dimensions and merges neighbours that are contiguous in both operands
// (outer stride = inner stride × inner size, which includes "broadcast along both").
BcastPlan plan_broadcast(const BroadcastIndex& bi) {
  BcastPlan p;
  int64_t dims[kMaxDims], sa[kMaxDims], sb[kMaxDims];
  int nd = 0;
  for (int d = bi.ndim - 1; d >= 0; --d) {
    if (bi.dims[d] == 1) continue;
    if (nd > 0 && sa[nd - 1] * dims[nd - 1] == bi.a_stride[d] && sb[nd - 1] * dims[nd - 1] == bi.b_stride[d]) {
      dims[nd - 1] *= bi.dims[d];
      continue;
    }
    dims[nd] = bi.dims[d];
    sa[nd] = bi.a_stride[d];
    sb[nd] = bi.b_stride[d];
    ++nd;
  }
  p.ndim = nd;
  for (int d = 0; d < nd; ++d) {
    p.dims[d] = static_cast<uint32_t>(dims[d]);
    p.div[d] = FastDiv(p.dims[d]);
    p.sa[d] = static_cast<uint32_t>(sa[d]);
    p.sb[d] = static_cast<uint32_t>(sb[d]);
  }
  return p;
}

template <BinaryOp Op, typename T>
void launch_binary(const T* a, const T* b, T* out, const BroadcastIndex& bi, int64_t n, cudaStream_t s) {
  const BcastPlan p = plan_broadcast(bi);
  const auto sizes = [&] { return std::string(binary_op_name(Op)) + ", " + index_str(bi); };
  const bool flat = p.ndim == 0 || (p.ndim == 1 && p.sa[0] == 1 && p.sb[0] == 1);
  if (flat) {
    const dim3 grid(blocks_for(ceil_div(n, vec_width<T>())));
    binary_flat_kernel<Op, T><<<grid, kThreads, 0, s>>>(a, b, out, static_cast<uint32_t>(n),
                                                        aligned16(a) && aligned16(b) && aligned16(out));
    check_launch("binary_flat_kernel", type_name<T>(), grid, sizes);
  } else {
    const dim3 grid(blocks_for(n));
    binary_bcast_kernel<Op, T><<<grid, kThreads, 0, s>>>(a, b, out, static_cast<uint32_t>(n), p);
    check_launch("binary_bcast_kernel", type_name<T>(), grid, sizes);
  }
}

template <typename T, bool Affine>
void launch_scalar_map(const char* fn, const T* x, T* y, int64_t n, T s, T t, void* stream) {
  check_count(fn, n, NStr{n});
  if (n == 0) return;
  const dim3 grid(blocks_for(ceil_div(n, vec_width<T>())));
  scalar_map_kernel<T, Affine><<<grid, kThreads, 0, as_stream(stream)>>>(x, y, static_cast<uint32_t>(n), s, t,
                                                                         aligned16(x) && aligned16(y));
  check_launch(Affine ? "affine_kernel" : "rdiv_kernel", type_name<T>(), grid, NStr{n});
}

template <typename T>
void launch_fill(const char* fn, T* out, int64_t n, T v, const T* src, void* stream) {
  check_count(fn, n, NStr{n});
  if (n == 0) return;
  const dim3 grid(blocks_for(ceil_div(n, vec_width<T>())));
  fill_kernel<T><<<grid, kThreads, 0, as_stream(stream)>>>(out, static_cast<uint32_t>(n), v, src, aligned16(out));
  check_launch("fill_kernel", type_name<T>(), grid, NStr{n});
}

template <typename U, typename Sizes>
void launch_copy_rows(void* dst, int64_t dst_pitch, const void* src, int64_t src_pitch, int64_t rows,
                      int64_t row_bytes, const Sizes& sizes, cudaStream_t s) {
  constexpr int64_t W = sizeof(U);
  const int64_t row_units = row_bytes / W, total = rows * row_units;
  check_count("copy_rows", total, sizes);
  const dim3 grid(blocks_for(total));
  copy_rows_kernel<U><<<grid, kThreads, 0, s>>>(static_cast<U*>(dst), static_cast<uint64_t>(dst_pitch / W),
                                               static_cast<const U*>(src), static_cast<uint64_t>(src_pitch / W),
                                               static_cast<uint32_t>(total), static_cast<uint32_t>(row_units),
                                               FastDiv(static_cast<uint32_t>(row_units)));
  const std::string unit = std::to_string(W) + " bytes";
  check_launch("copy_rows_kernel", unit.c_str(), grid, sizes);
}

}  // namespace

template <typename T>
void binary(BinaryOp op, const T* a, const T* b, T* out, const BroadcastIndex& index, void* stream) {
  const auto sizes = [&] { return std::string(binary_op_name(op)) + ", " + index_str(index); };
  if (index.ndim < 0 || index.ndim > kMaxDims) bad_args("binary", sizes(), "at most 5 dimensions");
  int64_t n = 1;
  for (int d = 0; d < index.ndim; ++d) {
    if (index.dims[d] < 0 || index.a_stride[d] < 0 || index.b_stride[d] < 0)
      bad_args("binary", sizes(), "negative size or stride");
    check_count("binary", index.dims[d], sizes);
    n *= index.dims[d];
    check_count("binary", n, sizes);
  }
  if (n == 0) return;
  const cudaStream_t s = as_stream(stream);
  switch (op) {
    case BinaryOp::add: launch_binary<BinaryOp::add, T>(a, b, out, index, n, s); break;
    case BinaryOp::sub: launch_binary<BinaryOp::sub, T>(a, b, out, index, n, s); break;
    case BinaryOp::mul: launch_binary<BinaryOp::mul, T>(a, b, out, index, n, s); break;
    case BinaryOp::div: launch_binary<BinaryOp::div, T>(a, b, out, index, n, s); break;
  }
}

template <typename T>
void affine(const T* x, T* y, int64_t n, double scale, double shift, void* stream) {
  launch_scalar_map<T, true>("affine", x, y, n, static_cast<T>(scale), static_cast<T>(shift), stream);
}

template <typename T>
void rdiv(double s, const T* x, T* y, int64_t n, void* stream) {
  launch_scalar_map<T, false>("rdiv", x, y, n, static_cast<T>(s), T(0), stream);
}

template <typename T>
void fill(T* out, int64_t n, double value, void* stream) {
  launch_fill<T>("fill", out, n, static_cast<T>(value), nullptr, stream);
}

template <typename T>
void fill_from_device(T* out, int64_t n, const T* value, void* stream) {
  if (!value && n > 0) bad_args("fill_from_device", NStr{n}(), "the value pointer is null");
  launch_fill<T>("fill_from_device", out, n, T(0), value, stream);
}

template <typename S, typename D>
void convert(const S* src, D* dst, int64_t n, void* stream) {
  check_count("convert", n, NStr{n});
  if (n == 0) return;
  const dim3 grid(blocks_for(n));
  convert_kernel<S, D><<<grid, kThreads, 0, as_stream(stream)>>>(src, dst, static_cast<uint32_t>(n));
  const std::string types = std::string(type_name<S>()) + " to " + type_name<D>();
  check_launch("convert_kernel", types.c_str(), grid, NStr{n});
}

void copy_rows(void* dst, int64_t dst_pitch, const void* src, int64_t src_pitch, int64_t rows,
                    int64_t row_bytes, void* stream) {
  const auto sizes = [&] {
    return "rows=" + std::to_string(rows) + ", row_bytes=" + std::to_string(row_bytes) +
           ", dst_pitch=" + std::to_string(dst_pitch) + ", src_pitch=" + std::to_string(src_pitch);
  };
  if (rows < 0 || row_bytes < 0) bad_args("copy_rows", sizes(), "negative size");
  if (rows == 0 || row_bytes == 0) return;
  if (dst_pitch < 0 || src_pitch < 0 || (rows > 1 && (dst_pitch < row_bytes || src_pitch < row_bytes)))
    bad_args("copy_rows", sizes(), "a pitch is smaller than a row");
  const uint64_t all = reinterpret_cast<uintptr_t>(dst) | reinterpret_cast<uintptr_t>(src) |
                       static_cast<uint64_t>(dst_pitch) | static_cast<uint64_t>(src_pitch) |
                       static_cast<uint64_t>(row_bytes);
  const cudaStream_t s = as_stream(stream);
  if (all % 16 == 0) launch_copy_rows<uint4>(dst, dst_pitch, src, src_pitch, rows, row_bytes, sizes, s);
  else if (all % 8 == 0) launch_copy_rows<uint2>(dst, dst_pitch, src, src_pitch, rows, row_bytes, sizes, s);
  else if (all % 4 == 0) launch_copy_rows<uint32_t>(dst, dst_pitch, src, src_pitch, rows, row_bytes, sizes, s);
  else if (all % 2 == 0) launch_copy_rows<uint16_t>(dst, dst_pitch, src, src_pitch, rows, row_bytes, sizes, s);
  else launch_copy_rows<uint8_t>(dst, dst_pitch, src, src_pitch, rows, row_bytes, sizes, s);
}

template <typename T>
void expand_dim(const T* g, T* gx, int64_t outer, int64_t size, int64_t inner, void* stream) {
  const auto sizes = [&] {
    return "outer=" + std::to_string(outer) + ", size=" + std::to_string(size) + ", inner=" + std::to_string(inner);
  };
  if (outer < 0 || size < 0 || inner < 0) bad_args("expand_dim", sizes(), "negative size");
  if (outer == 0 || size == 0 || inner == 0) return;
  check_count("expand_dim", outer, sizes);
  check_count("expand_dim", size, sizes);
  check_count("expand_dim", inner, sizes);
  check_count("expand_dim", outer * size, sizes);
  check_count("expand_dim", outer * size * inner, sizes);
  const int64_t n = outer * size * inner;
  const dim3 grid(blocks_for(n));
  expand_dim_kernel<T><<<grid, kThreads, 0, as_stream(stream)>>>(
      g, gx, static_cast<uint32_t>(n), static_cast<uint32_t>(size), static_cast<uint32_t>(inner),
      FastDiv(static_cast<uint32_t>(inner)), FastDiv(static_cast<uint32_t>(size)));
  check_launch("expand_dim_kernel", type_name<T>(), grid, sizes);
}

template void binary<float>(BinaryOp, const float*, const float*, float*, const BroadcastIndex&, void*);
template void binary<double>(BinaryOp, const double*, const double*, double*, const BroadcastIndex&, void*);
template void affine<float>(const float*, float*, int64_t, double, double, void*);
template void affine<double>(const double*, double*, int64_t, double, double, void*);
template void rdiv<float>(double, const float*, float*, int64_t, void*);
template void rdiv<double>(double, const double*, double*, int64_t, void*);
template void fill<float>(float*, int64_t, double, void*);
template void fill<double>(double*, int64_t, double, void*);
template void fill_from_device<float>(float*, int64_t, const float*, void*);
template void fill_from_device<double>(double*, int64_t, const double*, void*);
template void convert<float, double>(const float*, double*, int64_t, void*);
template void convert<double, float>(const double*, float*, int64_t, void*);
template void expand_dim<float>(const float*, float*, int64_t, int64_t, int64_t, void*);
template void expand_dim<double>(const double*, double*, int64_t, int64_t, int64_t, void*);

}  // namespace aafgan::kernels::cuda
