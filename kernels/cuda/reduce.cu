// Deterministic sums (see reduce.h). Every reduction is planned from the sizes alone, as
// x = [outer, size, inner] summed over `size`:
//
// - seq: one thread per output adds its `size` terms in ascending k, in double: the CPU's order.
//   Chosen when size ≤ kSeqMax, or when inner > 1 and there are at least kWideOutputs outputs
//   (neighbouring threads then read neighbouring elements, so the loads coalesce).
// - rows (inner = 1, long rows; sum_all is outer = 1): a block per chunk of a row; its threads
//   walk 16-byte units of the chunk (unit u by thread u mod kThreads), each adding its units'
//   lanes in order in double, then a fixed block tree (common.cuh, block_sum). With one chunk
//   per row the block writes the output; else it writes a partial and a second kernel adds each
//   row's chunks in ascending order.
// - cols (inner > 1, few outputs, long sums): the sum over k is cut into C chunks; a thread adds
//   one chunk of one output in ascending k, a second kernel adds the C partials in ascending
//   order.
//
// The units of a rows chunk start on multiples of 4 elements from the row's start, whatever the
// type, and a misaligned pointer walks exactly the same units element by element: the order of
// the additions, hence the bits, do not depend on the alignment.
//
// Over 400 lines on purpose: the plans below share one deterministic order, which only reads
// as one when the kernels that keep it sit together.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/reduce.h"

namespace aafgan::kernels::cuda {

using namespace ops_detail;

namespace {

constexpr int64_t kSeqMax = 64;
constexpr int64_t kWideOutputs = int64_t(1) << 14;
// The chunked plans aim for about this many blocks (rows) or threads (cols) in flight.
constexpr int64_t kTargetBlocks = 1024;
constexpr int64_t kTargetThreads = int64_t(1) << 17;
// A rows chunk holds at least this many elements (16 per thread), a cols chunk kSeqMax terms.
constexpr int64_t kRowChunkMin = int64_t(kThreads) * 16;
// Chunk starts are multiples of this many elements (one f32 unit, two f64 units).
constexpr int64_t kChunkAlign = 4;
constexpr int kMaxDims = 5;

struct SumPlan {
  enum class Kind { empty, zeros, seq, rows, cols } kind = Kind::empty;
  int64_t outer = 0, size = 0, inner = 0;
  int64_t chunks = 1, per_chunk = 0;  // rows and cols: elements (rows) or terms (cols) per chunk
  size_t workspace_bytes = 0;
};

SumPlan plan_sum(int64_t outer, int64_t size, int64_t inner) {
  SumPlan p;
  p.outer = outer;
  p.size = size;
  p.inner = inner;
  const int64_t outputs = outer * inner;
  if (outputs == 0) return p;
  if (size == 0) {
    p.kind = SumPlan::Kind::zeros;
    return p;
  }
  p.per_chunk = size;
  if (size <= kSeqMax || (inner > 1 && outputs >= kWideOutputs)) {
    p.kind = SumPlan::Kind::seq;
    return p;
  }
  if (inner == 1) {
    p.kind = SumPlan::Kind::rows;
    const int64_t want = ceil_div(kTargetBlocks, outer);
    const int64_t most = ceil_div(size, kRowChunkMin);
    const int64_t c = std::clamp<int64_t>(want, 1, most);
    p.per_chunk = ceil_div(ceil_div(size, c), kChunkAlign) * kChunkAlign;
  } else {
    p.kind = SumPlan::Kind::cols;
    const int64_t want = ceil_div(kTargetThreads, outputs);
    const int64_t most = ceil_div(size, kSeqMax);
    const int64_t c = std::clamp<int64_t>(want, 1, most);
    p.per_chunk = ceil_div(size, c);
  }
  p.chunks = ceil_div(size, p.per_chunk);
  if (p.chunks > 1) p.workspace_bytes = static_cast<size_t>(p.chunks * outputs) * sizeof(double);
  if (p.kind == SumPlan::Kind::cols && p.chunks == 1) p.kind = SumPlan::Kind::seq;
  return p;
}

std::string dims_str(int64_t outer, int64_t size, int64_t inner) {
  return "outer=" + std::to_string(outer) + ", size=" + std::to_string(size) + ", inner=" + std::to_string(inner);
}

template <typename Sizes>
void check_sizes(const char* fn, int64_t outer, int64_t size, int64_t inner, const Sizes& sizes) {
  if (outer < 0 || size < 0 || inner < 0) bad_args(fn, sizes(), "negative size");
  if (outer == 0 || size == 0 || inner == 0) return;
  check_count(fn, outer, sizes);
  check_count(fn, size, sizes);
  check_count(fn, inner, sizes);
  check_count(fn, outer * size, sizes);
  check_count(fn, outer * size * inner, sizes);
}

// --- kernels --------------------------------------------------------------------------------------

// seq (chunks = 1, writes out) and cols (chunks > 1, writes partial[c·outputs + j]): thread
// (c, o, i) adds terms k ∈ [c·per, min(size, (c + 1)·per)) of output j = o·inner + i in order.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    sum_cols_kernel(const T* __restrict__ x, uint32_t size, uint32_t inner, uint32_t outputs, uint32_t per,
                    uint32_t chunks, FastDiv outputs_div, FastDiv inner_div, double* __restrict__ partial,
                    T* __restrict__ out) {
  const uint32_t total = outputs * chunks;
  for (uint32_t idx = blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += gridDim.x * blockDim.x) {
    const uint32_t c = outputs_div.div(idx);
    const uint32_t j = idx - c * outputs;
    const uint32_t o = inner_div.div(j);
    const uint32_t i = j - o * inner;
    const uint32_t k0 = c * per, k1 = min(size, k0 + per);
    const T* p = x + (static_cast<size_t>(o) * size + k0) * inner + i;
    double acc = 0;
    for (uint32_t k = k0; k < k1; ++k, p += inner) acc += static_cast<double>(*p);
    if (chunks == 1) out[j] = static_cast<T>(acc);
    else partial[idx] = acc;
  }
}

// rows: block b = o·chunks + c sums elements [c·per, min(size, (c + 1)·per)) of row o.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    sum_rows_kernel(const T* __restrict__ x, uint32_t size, uint32_t per, uint32_t chunks, bool x_aligned,
                    double* __restrict__ partial, T* __restrict__ out) {
  constexpr int V = vec_width<T>();
  const uint32_t o = blockIdx.x / chunks, c = blockIdx.x - o * chunks;
  const uint32_t start = o * size + c * per;
  const uint32_t len = min(per, size - c * per);
  const bool vec = x_aligned && start % V == 0;
  const uint32_t units = (len + V - 1) / V;
  double acc = 0;
  for (uint32_t u = threadIdx.x; u < units; u += kThreads) {
    const int count = static_cast<int>(min(len - u * V, uint32_t(V)));
    T v[V];
    load_unit<T>(x + start + u * V, count, vec, v);
#pragma unroll
    for (int l = 0; l < V; ++l)
      if (l < count) acc += static_cast<double>(v[l]);
  }
  const double s = block_sum(acc);
  if (threadIdx.x == 0) {
    if (chunks == 1) out[o] = static_cast<T>(s);
    else partial[blockIdx.x] = s;
  }
}

// out[j] = Σ_c partial[j·stride_j + c·stride_c], c ascending.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    sum_chunks_kernel(const double* __restrict__ partial, uint32_t outputs, uint32_t chunks, uint32_t stride_j,
                      uint32_t stride_c, T* __restrict__ out) {
  for (uint32_t j = blockIdx.x * blockDim.x + threadIdx.x; j < outputs; j += gridDim.x * blockDim.x) {
    double s = 0;
    for (uint32_t c = 0; c < chunks; ++c)
      s += partial[static_cast<size_t>(j) * stride_j + static_cast<size_t>(c) * stride_c];
    out[j] = static_cast<T>(s);
  }
}

// sum_to's general case. Kept dimensions (in the target) are listed innermost first with their
// sizes and g strides; reduced ones outermost first (adjacent reduced dimensions merged into one
// when they are contiguous in g). Reduction index r walks the reduced elements of a target in
// g's row-major order.
struct SumToPlan {
  int nk = 0, nr = 0;
  uint32_t kdims[kMaxDims] = {}, kstride[kMaxDims] = {};
  FastDiv kdiv[kMaxDims];
  uint32_t rdims[kMaxDims] = {}, rstride[kMaxDims] = {};
  FastDiv rdiv[kMaxDims];
  uint32_t rcount = 1;
};

// g's offset of target element t's first term.
__device__ __forceinline__ uint32_t sum_to_base(const SumToPlan& p, uint32_t t) {
  uint32_t rem = t, base = 0;
  for (int d = 0; d < p.nk; ++d) {
    const uint32_t q = p.kdiv[d].div(rem);
    base += (rem - q * p.kdims[d]) * p.kstride[d];
    rem = q;
  }
  return base;
}

// The offset of reduction index r from its target's base.
__device__ __forceinline__ uint32_t sum_to_offset(const SumToPlan& p, uint32_t r) {
  uint32_t off = 0;
  for (int d = p.nr - 1; d >= 0; --d) {  // innermost first
    const uint32_t q = p.rdiv[d].div(r);
    off += (r - q * p.rdims[d]) * p.rstride[d];
    r = q;
  }
  return off;
}

// Few terms per target, or targets enough to fill the device: thread t owns target t and adds
// its terms in T in g's order, as the CPU does (the same bits).
template <typename T>
__global__ void __launch_bounds__(kThreads)
    sum_to_general_kernel(const T* __restrict__ g, T* __restrict__ out, uint32_t targets, SumToPlan p) {
  for (uint32_t t = blockIdx.x * blockDim.x + threadIdx.x; t < targets; t += gridDim.x * blockDim.x) {
    const uint32_t base = sum_to_base(p, t);
    uint32_t idx[kMaxDims] = {};
    uint32_t off = 0;
    T acc = T(0);
    for (uint32_t r = 0; r < p.rcount; ++r) {
      acc = acc + g[base + off];
      for (int d = p.nr - 1; d >= 0; --d) {  // odometer: innermost reduced dimension fastest
        if (++idx[d] < p.rdims[d]) {
          off += p.rstride[d];
          break;
        }
        off -= (p.rdims[d] - 1) * p.rstride[d];
        idx[d] = 0;
      }
    }
    out[t] = acc;
  }
}

// Long sums over few targets (a convolution's bias gradient, [N, C, H, W] to [C, 1, 1]): block
// (t, c) adds reduction indices [c·per, min(rcount, (c + 1)·per)) of target t in double; thread
// i takes r = c·per + i, i + kThreads, … in ascending order, four loads in flight, then the
// fixed block tree. Neighbouring threads read neighbouring elements of the innermost reduced
// run. One chunk: the block writes out[t]; several: partial[t·chunks + c], added in order by
// sum_chunks_kernel. The order depends on the sizes alone.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    sum_to_blocks_kernel(const T* __restrict__ g, T* __restrict__ out, SumToPlan p, uint32_t per, uint32_t chunks,
                         double* __restrict__ partial) {
  constexpr int kInFlight = 4;
  const uint32_t t = blockIdx.x, c = blockIdx.y;
  const uint32_t base = sum_to_base(p, t);
  const uint32_t r0 = c * per, r1 = min(p.rcount, r0 + per);
  double acc = 0;
  for (uint32_t r = r0 + threadIdx.x; r < r1; r += kInFlight * kThreads) {
    T v[kInFlight];
#pragma unroll
    for (int u = 0; u < kInFlight; ++u) {
      const uint32_t ru = r + static_cast<uint32_t>(u) * kThreads;
      v[u] = ru < r1 ? g[base + sum_to_offset(p, ru)] : T(0);
    }
#pragma unroll
    for (int u = 0; u < kInFlight; ++u) acc += static_cast<double>(v[u]);
  }
  const double s = block_sum(acc);
  if (threadIdx.x == 0) {
    if (chunks == 1) out[t] = static_cast<T>(s);
    else partial[static_cast<size_t>(t) * chunks + c] = s;
  }
}

// --- host side ------------------------------------------------------------------------------------

template <typename T, typename Sizes>
void run_sum(const char* fn, const SumPlan& p, const T* x, T* out, void* workspace, size_t workspace_bytes,
             cudaStream_t s, const Sizes& sizes) {
  const int64_t outputs = p.outer * p.inner;
  switch (p.kind) {
    case SumPlan::Kind::empty: return;
    case SumPlan::Kind::zeros:
      check_call(cudaMemsetAsync(out, 0, static_cast<size_t>(outputs) * sizeof(T), s), "cudaMemsetAsync", sizes);
      return;
    default: break;
  }
  if (p.workspace_bytes > 0 && (!workspace || workspace_bytes < p.workspace_bytes))
    bad_args(fn, sizes(),
             "the workspace holds " + std::to_string(workspace ? workspace_bytes : 0) + " bytes, " +
                 "the *_workspace_bytes function asks for " + std::to_string(p.workspace_bytes));
  double* partial = p.chunks > 1 ? static_cast<double*>(workspace) : nullptr;
  if (p.kind == SumPlan::Kind::rows) {
    const dim3 grid(static_cast<unsigned>(p.outer * p.chunks));
    sum_rows_kernel<T><<<grid, kThreads, 0, s>>>(x, static_cast<uint32_t>(p.size), static_cast<uint32_t>(p.per_chunk),
                                                 static_cast<uint32_t>(p.chunks), aligned16(x), partial, out);
    check_launch("sum_rows_kernel", type_name<T>(), grid, sizes);
    if (partial) {
      const dim3 g2(blocks_for(outputs));
      sum_chunks_kernel<T><<<g2, kThreads, 0, s>>>(partial, static_cast<uint32_t>(outputs),
                                                   static_cast<uint32_t>(p.chunks), static_cast<uint32_t>(p.chunks),
                                                   1u, out);
      check_launch("sum_chunks_kernel", type_name<T>(), g2, sizes);
    }
    return;
  }
  // seq or cols
  const dim3 grid(blocks_for(outputs * p.chunks));
  sum_cols_kernel<T><<<grid, kThreads, 0, s>>>(
      x, static_cast<uint32_t>(p.size), static_cast<uint32_t>(p.inner), static_cast<uint32_t>(outputs),
      static_cast<uint32_t>(p.per_chunk), static_cast<uint32_t>(p.chunks), FastDiv(static_cast<uint32_t>(outputs)),
      FastDiv(static_cast<uint32_t>(p.inner)), partial, out);
  check_launch(p.chunks > 1 ? "sum_cols_kernel (chunked)" : "sum_cols_kernel (a thread per output)", type_name<T>(),
               grid, sizes);
  if (partial) {
    const dim3 g2(blocks_for(outputs));
    sum_chunks_kernel<T><<<g2, kThreads, 0, s>>>(partial, static_cast<uint32_t>(outputs),
                                                 static_cast<uint32_t>(p.chunks), 1u,
                                                 static_cast<uint32_t>(outputs), out);
    check_launch("sum_chunks_kernel", type_name<T>(), g2, sizes);
  }
}

// How sum_to reduces g to the target.
struct SumToShape {
  enum class Kind { copy, suffix, general } kind = Kind::general;
  int64_t g_numel = 1, t_numel = 1;
  int nd = 0;
  int64_t gd[kMaxDims] = {}, td[kMaxDims] = {};  // target left-padded with 1 to g's rank
};

std::string shape_str(int nd, const int64_t* d) {
  std::string s = "[";
  for (int i = 0; i < nd; ++i) s += (i ? "," : "") + std::to_string(d[i]);
  return s + "]";
}

SumToShape classify_sum_to(int g_ndim, const int64_t* g_dims, int t_ndim, const int64_t* t_dims) {
  const auto sizes = [&] { return "g " + shape_str(g_ndim, g_dims) + " to " + shape_str(t_ndim, t_dims); };
  if (g_ndim < 0 || g_ndim > kMaxDims || t_ndim < 0 || t_ndim > g_ndim)
    bad_args("sum_to", sizes(), "ranks must satisfy 0 ≤ target rank ≤ g rank ≤ 5");
  SumToShape c;
  c.nd = g_ndim;
  for (int d = 0; d < g_ndim; ++d) {
    c.gd[d] = g_dims[d];
    const int td = d - (g_ndim - t_ndim);
    c.td[d] = td >= 0 ? t_dims[td] : 1;
    if (c.gd[d] < 0 || c.td[d] < 0) bad_args("sum_to", sizes(), "negative size");
    if (c.td[d] != c.gd[d] && c.td[d] != 1) bad_args("sum_to", sizes(), "the target does not broadcast to g");
    check_count("sum_to", c.gd[d], sizes);
    c.g_numel *= c.gd[d];
    c.t_numel *= c.td[d];
    check_count("sum_to", c.g_numel, sizes);
  }
  bool same = t_ndim == g_ndim, suffix = true;
  for (int i = 1; i <= t_ndim; ++i) {
    const bool eq = t_dims[t_ndim - i] == g_dims[g_ndim - i];
    same = same && eq;
    suffix = suffix && eq;
  }
  c.kind = same ? SumToShape::Kind::copy : suffix ? SumToShape::Kind::suffix : SumToShape::Kind::general;
  return c;
}

SumPlan plan_sum_to_suffix(const SumToShape& c) {
  const int64_t inner = c.t_numel, rows = c.g_numel / std::max<int64_t>(inner, 1);
  return plan_sum(1, rows, inner);
}

// The general case's index maps and launch: a thread per target (the CPU's bits) while a target
// has at most kSeqMax terms or there are kWideOutputs targets; else blocks per target, in
// chunks so that about kTargetBlocks blocks run, each of at least kRowChunkMin terms.
struct GeneralPlan {
  SumToPlan map;
  bool blocks = false;
  int64_t chunks = 1, per = 0;
  size_t workspace_bytes = 0;
};

GeneralPlan plan_sum_to_general(const SumToShape& c) {
  GeneralPlan gp;
  SumToPlan& p = gp.map;
  int64_t stride = 1;
  int64_t rdims[kMaxDims] = {}, rstrides[kMaxDims] = {};
  int nr = 0;
  bool merge = false;  // the previous non-unit dimension (inner to this one) was reduced
  for (int d = c.nd - 1; d >= 0; --d) {  // innermost first
    if (c.gd[d] != 1) {
      if (c.td[d] == c.gd[d]) {
        p.kdims[p.nk] = static_cast<uint32_t>(c.gd[d]);
        p.kdiv[p.nk] = FastDiv(p.kdims[p.nk]);
        p.kstride[p.nk] = static_cast<uint32_t>(stride);
        ++p.nk;
        merge = false;
      } else if (merge) {
        rdims[nr - 1] *= c.gd[d];  // contiguous with the inner reduced run: one longer run
      } else {
        rdims[nr] = c.gd[d];
        rstrides[nr] = stride;
        ++nr;
        merge = true;
      }
    }
    stride *= c.gd[d];
  }
  p.nr = nr;
  for (int r = 0; r < nr; ++r) {  // outermost first
    p.rdims[r] = static_cast<uint32_t>(rdims[nr - 1 - r]);
    p.rdiv[r] = FastDiv(p.rdims[r]);
    p.rstride[r] = static_cast<uint32_t>(rstrides[nr - 1 - r]);
    p.rcount *= p.rdims[r];
  }
  const int64_t rcount = p.rcount;
  if (rcount <= kSeqMax || c.t_numel >= kWideOutputs) return gp;
  gp.blocks = true;
  const int64_t want = ceil_div(kTargetBlocks, c.t_numel);
  const int64_t most = ceil_div(rcount, kRowChunkMin);
  gp.per = ceil_div(rcount, std::clamp<int64_t>(want, 1, most));
  gp.chunks = ceil_div(rcount, gp.per);
  if (gp.chunks > 1) gp.workspace_bytes = static_cast<size_t>(gp.chunks * c.t_numel) * sizeof(double);
  return gp;
}

}  // namespace

size_t sum_all_workspace_bytes(int64_t n) {
  check_sizes("sum_all_workspace_bytes", 1, n, 1, NStr{n});
  return plan_sum(1, n, 1).workspace_bytes;
}

template <typename T>
void sum_all(const T* x, T* out, int64_t n, void* workspace, size_t workspace_bytes, void* stream) {
  check_sizes("sum_all", 1, n, 1, NStr{n});
  run_sum<T>("sum_all", plan_sum(1, n, 1), x, out, workspace, workspace_bytes, as_stream(stream), NStr{n});
}

size_t sum_dim_workspace_bytes(int64_t outer, int64_t size, int64_t inner) {
  const auto sizes = [&] { return dims_str(outer, size, inner); };
  check_sizes("sum_dim_workspace_bytes", outer, size, inner, sizes);
  return plan_sum(outer, size, inner).workspace_bytes;
}

template <typename T>
void sum_dim(const T* x, T* out, int64_t outer, int64_t size, int64_t inner, void* workspace,
                  size_t workspace_bytes, void* stream) {
  const auto sizes = [&] { return dims_str(outer, size, inner); };
  check_sizes("sum_dim", outer, size, inner, sizes);
  run_sum<T>("sum_dim", plan_sum(outer, size, inner), x, out, workspace, workspace_bytes, as_stream(stream),
             sizes);
}

size_t sum_to_workspace_bytes(int g_ndim, const int64_t* g_dims, int t_ndim, const int64_t* t_dims) {
  const SumToShape c = classify_sum_to(g_ndim, g_dims, t_ndim, t_dims);
  if (c.kind == SumToShape::Kind::copy || c.t_numel == 0 || c.g_numel == 0) return 0;
  return c.kind == SumToShape::Kind::suffix ? plan_sum_to_suffix(c).workspace_bytes
                                            : plan_sum_to_general(c).workspace_bytes;
}

template <typename T>
void sum_to(const T* g, T* out, int g_ndim, const int64_t* g_dims, int t_ndim, const int64_t* t_dims,
                 void* workspace, size_t workspace_bytes, void* stream) {
  const SumToShape c = classify_sum_to(g_ndim, g_dims, t_ndim, t_dims);
  const auto sizes = [&] { return "g " + shape_str(g_ndim, g_dims) + " to " + shape_str(t_ndim, t_dims); };
  const cudaStream_t s = as_stream(stream);
  if (c.t_numel == 0) return;
  if (c.kind == SumToShape::Kind::copy) {
    check_call(cudaMemcpyAsync(out, g, static_cast<size_t>(c.g_numel) * sizeof(T), cudaMemcpyDeviceToDevice, s),
               "cudaMemcpyAsync", sizes);
    return;
  }
  if (c.g_numel == 0) {  // a zero-size dimension reduced away: the sums are empty
    check_call(cudaMemsetAsync(out, 0, static_cast<size_t>(c.t_numel) * sizeof(T), s), "cudaMemsetAsync", sizes);
    return;
  }
  if (c.kind == SumToShape::Kind::suffix) {
    run_sum<T>("sum_to", plan_sum_to_suffix(c), g, out, workspace, workspace_bytes, s, sizes);
    return;
  }
  const GeneralPlan gp = plan_sum_to_general(c);
  if (!gp.blocks) {
    const dim3 grid(blocks_for(c.t_numel));
    sum_to_general_kernel<T><<<grid, kThreads, 0, s>>>(g, out, static_cast<uint32_t>(c.t_numel), gp.map);
    check_launch("sum_to_general_kernel", type_name<T>(), grid, sizes);
    return;
  }
  if (gp.workspace_bytes > 0 && (!workspace || workspace_bytes < gp.workspace_bytes))
    bad_args("sum_to", sizes(),
             "the workspace holds " + std::to_string(workspace ? workspace_bytes : 0) +
                 " bytes, sum_to_workspace_bytes asks for " + std::to_string(gp.workspace_bytes));
  double* partial = gp.chunks > 1 ? static_cast<double*>(workspace) : nullptr;
  const dim3 grid(static_cast<unsigned>(c.t_numel), static_cast<unsigned>(gp.chunks));
  sum_to_blocks_kernel<T><<<grid, kThreads, 0, s>>>(g, out, gp.map, static_cast<uint32_t>(gp.per),
                                                    static_cast<uint32_t>(gp.chunks), partial);
  check_launch("sum_to_blocks_kernel", type_name<T>(), grid, sizes);
  if (partial) {
    const dim3 g2(blocks_for(c.t_numel));
    sum_chunks_kernel<T><<<g2, kThreads, 0, s>>>(partial, static_cast<uint32_t>(c.t_numel),
                                                 static_cast<uint32_t>(gp.chunks), static_cast<uint32_t>(gp.chunks),
                                                 1u, out);
    check_launch("sum_chunks_kernel", type_name<T>(), g2, sizes);
  }
}

template void sum_all<float>(const float*, float*, int64_t, void*, size_t, void*);
template void sum_all<double>(const double*, double*, int64_t, void*, size_t, void*);
template void sum_dim<float>(const float*, float*, int64_t, int64_t, int64_t, void*, size_t, void*);
template void sum_dim<double>(const double*, double*, int64_t, int64_t, int64_t, void*, size_t, void*);
template void sum_to<float>(const float*, float*, int, const int64_t*, int, const int64_t*, void*, size_t, void*);
template void sum_to<double>(const double*, double*, int, const int64_t*, int, const int64_t*, void*, size_t,
                                  void*);

}  // namespace aafgan::kernels::cuda
