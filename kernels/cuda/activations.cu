// CUDA kernels of the adaptive activations. The math is kernels/activation_math.h, the same
// functions the CPU loops call; this file only decides who computes which element and how the
// parameter gradients are summed.
//
// Three kernels:
// - elementwise: forward, and the backward when no parameter gradient is wanted (Mish, or a
//   frozen layer). A thread owns one 16-byte unit (4 floats / 2 doubles).
// - columns: backward of per-feature parameters (inner = 1, P > 1), seen as a [B, P] matrix.
//   A block covers up to 32 column units × R row lanes; each lane walks its rows and keeps
//   per-column sums in registers, then the lanes are added in a fixed tree in shared memory.
//   With few batch rows per block the grid also splits the rows into chunks (blockIdx.y) so
//   that large P with a small batch still fills the device; each chunk writes its partial
//   sums and a second tiny kernel adds the chunks in order.
// - segments: backward of per-channel parameters (inner > 1) and of the single-parameter case
//   P = 1. A block owns one slot j and a chunk of its B·inner elements, then a block tree sum.
//
// No floating-point atomics anywhere: every sum has an order fixed by the sizes, so two runs
// give identical bits. The order does not depend on whether the pointers allowed 16-byte
// vector accesses either: the scalar fallback walks exactly the same units and lanes.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/cuda/activations.h"

namespace aafgan::kernels::cuda {

namespace {

constexpr int kThreads = 256;
// About the number of resident threads of a large GPU (132 SMs × 2048 on an H100): enough
// loads in flight to saturate HBM. The chunking aims for this many threads, from the sizes
// alone, so the summation order is the same on every device.
constexpr int64_t kTargetThreads = int64_t(1) << 18;
// A chunk gives every thread at least this many units (columns: rows per lane), so the
// partial sums stay small next to the data.
constexpr int64_t kMinWorkPerThread = 4;
constexpr int64_t kMaxElements = (int64_t(1) << 31) - 1;

template <typename T>
constexpr int vec_width() {
  return static_cast<int>(16 / sizeof(T));
}

template <typename T>
const char* type_name() {
  return sizeof(T) == 4 ? "f32" : "f64";
}

// n / d for 32-bit n < 2^31 by a run-time constant d, as a multiply-high and a shift (the
// method of Granlund & Montgomery, as in PyTorch's IntDivider): the index math of a
// memory-bound kernel must not cost a hardware division per element.
struct FastDiv {
  uint32_t d = 1, magic = 1, shift = 0;
  FastDiv() = default;
  explicit FastDiv(uint32_t divisor) : d(divisor) {
    for (shift = 0; shift < 32; ++shift)
      if ((uint64_t(1) << shift) >= divisor) break;
    const uint64_t m = ((uint64_t(1) << 32) * ((uint64_t(1) << shift) - divisor)) / divisor + 1;
    magic = static_cast<uint32_t>(m);
  }
  __device__ __forceinline__ uint32_t div(uint32_t n) const { return (__umulhi(n, magic) + n) >> shift; }
};

template <typename T>
struct ParamPtrs {
  const T* p[kMaxActParams];
};
template <typename T>
struct GradPtrs {
  T* p[kMaxActParams];
};

template <typename T>
struct Vec16;
template <>
struct Vec16<float> {
  using type = float4;
};
template <>
struct Vec16<double> {
  using type = double2;
};

template <typename T, int V>
__device__ __forceinline__ void load16(const T* __restrict__ p, T (&v)[V]) {
  const typename Vec16<T>::type q = *reinterpret_cast<const typename Vec16<T>::type*>(p);
  if constexpr (V == 4) {
    v[0] = q.x;
    v[1] = q.y;
    v[2] = q.z;
    v[3] = q.w;
  } else {
    v[0] = q.x;
    v[1] = q.y;
  }
}

template <typename T, int V>
__device__ __forceinline__ void store16(T* __restrict__ p, const T (&v)[V]) {
  typename Vec16<T>::type q;
  if constexpr (V == 4) {
    q.x = v[0];
    q.y = v[1];
    q.z = v[2];
    q.w = v[3];
  } else {
    q.x = v[0];
    q.y = v[1];
  }
  *reinterpret_cast<typename Vec16<T>::type*>(p) = q;
}

// Lanes [0, count) of the unit at p: one 16-byte access when `vec` (aligned and whole), else
// element by element. Lanes past count are left as zeros on load and not stored.
template <typename T, int V>
__device__ __forceinline__ void load_unit(const T* __restrict__ p, int count, bool vec, T (&v)[V]) {
  if (vec) {
    load16<T, V>(p, v);
    return;
  }
#pragma unroll
  for (int l = 0; l < V; ++l) v[l] = l < count ? p[l] : T(0);
}

template <typename T, int V>
__device__ __forceinline__ void store_unit(T* __restrict__ p, int count, bool vec, const T (&v)[V]) {
  if (vec) {
    store16<T, V>(p, v);
    return;
  }
#pragma unroll
  for (int l = 0; l < V; ++l)
    if (l < count) p[l] = v[l];
}

// How a unit's lanes find their parameter values.
enum class ParamMode : int {
  per_lane,  // each lane computes its own slot
  shared,    // inner % V == 0: a unit never crosses a slot boundary, all lanes share slot j
  vector,    // inner == 1, P % V == 0, parameters aligned: lanes are slots j..j+V−1, one load
};

template <Act A, typename T, int V>
__device__ __forceinline__ void load_unit_params(const ParamPtrs<T>& prm, ParamMode mode, uint32_t j, uint32_t s,
                                                 uint32_t inner, uint32_t P, T (&pv)[V][kMaxActParams]) {
  constexpr int np = act_param_count(A);
  if constexpr (np > 0) {
    if (mode == ParamMode::vector) {
#pragma unroll
      for (int k = 0; k < np; ++k) {
        T t[V];
        load16<T, V>(prm.p[k] + j, t);
#pragma unroll
        for (int l = 0; l < V; ++l) pv[l][k] = t[l];
      }
    } else if (mode == ParamMode::shared) {
#pragma unroll
      for (int k = 0; k < np; ++k) {
        const T v = prm.p[k][j];
#pragma unroll
        for (int l = 0; l < V; ++l) pv[l][k] = v;
      }
    } else {
#pragma unroll
      for (int l = 0; l < V; ++l) {
#pragma unroll
        for (int k = 0; k < np; ++k) pv[l][k] = prm.p[k][j];
        // Step to the next element's slot; lanes past n stay on valid slots, so loading is safe.
        if (++s == inner) {
          s = 0;
          j = j + 1 == P ? 0 : j + 1;
        }
      }
    }
  }
}

// --- elementwise: y = f(x), or gx = gy·f'(x) ------------------------------------------------
template <Act A, typename T, bool BWD>
__global__ void __launch_bounds__(kThreads)
    act_elementwise_kernel(const T* __restrict__ x, const T* __restrict__ gy, T* __restrict__ out, uint32_t n,
                           ParamPtrs<T> prm, uint32_t P, uint32_t inner, FastDiv inner_div, FastDiv p_div, Range r,
                           bool vec_data, ParamMode pmode) {
  constexpr int V = vec_width<T>();
  const uint32_t units = (n + V - 1) / V;
  for (uint32_t u = blockIdx.x * blockDim.x + threadIdx.x; u < units; u += gridDim.x * blockDim.x) {
    const uint32_t i0 = u * V;
    const int count = static_cast<int>(min(n - i0, uint32_t(V)));
    const bool vec = vec_data && count == V;
    const uint32_t q = inner_div.div(i0);
    const uint32_t s = i0 - q * inner;
    const uint32_t j = q - p_div.div(q) * P;
    T pv[V][kMaxActParams] = {};
    load_unit_params<A, T, V>(prm, pmode, j, s, inner, P, pv);
    T xv[V], gv[V], ov[V];
    load_unit<T, V>(x + i0, count, vec, xv);
    if constexpr (BWD) load_unit<T, V>(gy + i0, count, vec, gv);
#pragma unroll
    for (int l = 0; l < V; ++l) {
      if constexpr (BWD) {
        T dp[kMaxActParams];
        ov[l] = gv[l] * act_backward<A>(xv[l], pv[l], r, dp);
      } else {
        ov[l] = act_forward<A>(xv[l], pv[l], r);
      }
    }
    store_unit<T, V>(out + i0, count, vec, ov);
  }
}

// Adds buf[l·kThreads + t] over the R = kThreads / cg row lanes of each column lane, in a
// fixed tree; the result for column lane tx ends in buf[l·kThreads + tx].
template <int V>
__device__ __forceinline__ void tree_sum_lanes(double* buf, int cg, int R, int ty) {
  for (int stride = R / 2; stride > 0; stride /= 2) {
    if (ty < stride) {
#pragma unroll
      for (int l = 0; l < V; ++l) buf[l * kThreads + threadIdx.x] += buf[l * kThreads + threadIdx.x + stride * cg];
    }
    __syncthreads();
  }
}

// --- columns: per-feature backward over a [B, P] matrix --------------------------------------
// Block: cg = 2^cg_log2 column units × R = kThreads / cg row lanes. blockIdx.y is the row chunk.
// `partial` null: write gparams directly (one chunk); else partial[(chunk·np + k)·P + col].
template <Act A, typename T>
__global__ void __launch_bounds__(kThreads, 2)
    act_backward_columns_kernel(const T* __restrict__ x, const T* __restrict__ gy, T* __restrict__ gx, uint32_t B,
                                uint32_t P, ParamPtrs<T> prm, Range r, int cg_log2, uint32_t rows_per_chunk,
                                bool vec_data, bool vec_params, double* __restrict__ partial, GradPtrs<T> gp) {
  constexpr int V = vec_width<T>();
  constexpr int np = act_param_count(A);
  __shared__ double buf[V * kThreads];
  const int cg = 1 << cg_log2, R = kThreads >> cg_log2;
  const int tx = static_cast<int>(threadIdx.x) & (cg - 1), ty = static_cast<int>(threadIdx.x) >> cg_log2;
  const uint32_t c0 = (blockIdx.x * cg + tx) * V;
  const bool col_ok = c0 < P;
  const int count = col_ok ? static_cast<int>(min(P - c0, uint32_t(V))) : 0;
  const bool vec = vec_data && count == V;
  const uint32_t b0 = blockIdx.y * rows_per_chunk, b1 = min(B, b0 + rows_per_chunk);

  double acc[kMaxActParams][V] = {};
  if (col_ok) {
    T pv[V][kMaxActParams] = {};
    if constexpr (np > 0) {
      if (vec_params && count == V) {
        load_unit_params<A, T, V>(prm, ParamMode::vector, c0, 0, 1, P, pv);
      } else {
#pragma unroll
        for (int l = 0; l < V; ++l)
#pragma unroll
          for (int k = 0; k < np; ++k) pv[l][k] = l < count ? prm.p[k][c0 + l] : T(0);
      }
    }
    // Software-pipelined: the next row's loads are issued before this row's math, so each
    // thread keeps two rows in flight. The heavier functions need enough registers that few
    // threads are resident, and then the bytes in flight per thread set the bandwidth.
    T xv[V], gv[V];
    uint32_t b = b0 + ty;
    if (b < b1) {
      load_unit<T, V>(x + b * P + c0, count, vec, xv);
      load_unit<T, V>(gy + b * P + c0, count, vec, gv);
    }
    for (; b < b1; b += R) {
      const uint32_t base = b * P + c0;
      T xn[V] = {}, gn[V] = {};
      if (b + R < b1) {
        load_unit<T, V>(x + base + R * P, count, vec, xn);
        load_unit<T, V>(gy + base + R * P, count, vec, gn);
      }
      T ov[V];
#pragma unroll
      for (int l = 0; l < V; ++l) {
        T dp[kMaxActParams] = {};
        ov[l] = gv[l] * act_backward<A>(xv[l], pv[l], r, dp);
        if (l < count) {
#pragma unroll
          for (int k = 0; k < np; ++k) acc[k][l] += static_cast<double>(gv[l]) * static_cast<double>(dp[k]);
        }
      }
      if (gx) store_unit<T, V>(gx + base, count, vec, ov);
#pragma unroll
      for (int l = 0; l < V; ++l) {
        xv[l] = xn[l];
        gv[l] = gn[l];
      }
    }
  }

#pragma unroll
  for (int k = 0; k < np; ++k) {
#pragma unroll
    for (int l = 0; l < V; ++l) buf[l * kThreads + threadIdx.x] = acc[k][l];
    __syncthreads();
    tree_sum_lanes<V>(buf, cg, R, ty);
    if (ty == 0 && col_ok) {
      for (int l = 0; l < count; ++l) {
        const double v = buf[l * kThreads + tx];
        if (partial)
          partial[(static_cast<size_t>(blockIdx.y) * np + k) * P + c0 + l] = v;
        else if (gp.p[k])
          gp.p[k][c0 + l] = static_cast<T>(v);
      }
    }
    __syncthreads();  // buf is refilled for the next parameter
  }
}

// --- segments: one slot's B segments of `inner` elements -------------------------------------
// Block (j, chunk) walks units [chunk·units_per_chunk, …) of slot j's m = B·inner elements,
// flattened as t = b·inner + s at address (b·P + j)·inner + s.
template <Act A, typename T>
__global__ void __launch_bounds__(kThreads)
    act_backward_segments_kernel(const T* __restrict__ x, const T* __restrict__ gy, T* __restrict__ gx, uint32_t P,
                                 uint32_t inner, FastDiv inner_div, uint32_t m, uint32_t units_per_chunk,
                                 ParamPtrs<T> prm, Range r, bool vec_data, double* __restrict__ partial,
                                 GradPtrs<T> gp) {
  constexpr int V = vec_width<T>();
  constexpr int np = act_param_count(A);
  __shared__ double buf[kThreads];
  const uint32_t j = blockIdx.x;
  T p[kMaxActParams] = {};
#pragma unroll
  for (int k = 0; k < np; ++k) p[k] = prm.p[k][j];
  const uint32_t units = (m + V - 1) / V;
  const uint32_t u0 = blockIdx.y * units_per_chunk, u1 = min(units, u0 + units_per_chunk);

  double acc[kMaxActParams] = {};
  for (uint32_t u = u0 + threadIdx.x; u < u1; u += kThreads) {
    const uint32_t t0 = u * V;
    const int count = static_cast<int>(min(m - t0, uint32_t(V)));
    uint32_t b = inner_div.div(t0);
    uint32_t s = t0 - b * inner;
    T xv[V], gv[V], ov[V];
    uint32_t addr[V];
    if (vec_data && count == V) {
      // vec_data promises that a unit never crosses a segment end: its lanes are contiguous.
      const uint32_t a = (b * P + j) * inner + s;
      load16<T, V>(x + a, xv);
      load16<T, V>(gy + a, gv);
#pragma unroll
      for (int l = 0; l < V; ++l) addr[l] = a + l;
    } else {
#pragma unroll
      for (int l = 0; l < V; ++l) {
        addr[l] = (b * P + j) * inner + s;
        xv[l] = l < count ? x[addr[l]] : T(0);
        gv[l] = l < count ? gy[addr[l]] : T(0);
        if (++s == inner) {
          s = 0;
          ++b;
        }
      }
    }
#pragma unroll
    for (int l = 0; l < V; ++l) {
      T dp[kMaxActParams] = {};
      ov[l] = gv[l] * act_backward<A>(xv[l], p, r, dp);
      if (l < count) {
#pragma unroll
        for (int k = 0; k < np; ++k) acc[k] += static_cast<double>(gv[l]) * static_cast<double>(dp[k]);
      }
    }
    if (gx) {
      if (vec_data && count == V) {
        store16<T, V>(gx + addr[0], ov);
      } else {
#pragma unroll
        for (int l = 0; l < V; ++l)
          if (l < count) gx[addr[l]] = ov[l];
      }
    }
  }

#pragma unroll
  for (int k = 0; k < np; ++k) {
    buf[threadIdx.x] = acc[k];
    __syncthreads();
    tree_sum_lanes<1>(buf, 1, kThreads, static_cast<int>(threadIdx.x));
    if (threadIdx.x == 0) {
      if (partial)
        partial[(static_cast<size_t>(blockIdx.y) * np + k) * P + j] = buf[0];
      else if (gp.p[k])
        gp.p[k][j] = static_cast<T>(buf[0]);
    }
    __syncthreads();
  }
}

// gparams[k][j] = Σ_chunk partial[(chunk·np + k)·P + j], chunks in order.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    act_reduce_chunks_kernel(const double* __restrict__ partial, uint32_t nchunks, int np, uint32_t P,
                             GradPtrs<T> gp) {
  const uint32_t total = static_cast<uint32_t>(np) * P;
  for (uint32_t idx = blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += gridDim.x * blockDim.x) {
    const uint32_t k = idx / P, j = idx - k * P;
    T* out = gp.p[k];
    if (!out) continue;
    double s = 0;
    for (uint32_t c = 0; c < nchunks; ++c) s += partial[(static_cast<size_t>(c) * np + k) * P + j];
    out[j] = static_cast<T>(s);
  }
}

// --- host side ----------------------------------------------------------------------------------

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

std::string sizes_str(int64_t n, int64_t P, int64_t inner) {
  return "n=" + std::to_string(n) + ", P=" + std::to_string(P) + ", inner=" + std::to_string(inner);
}

template <typename T>
void check_launch(const char* kernel, Act act, int64_t n, int64_t P, int64_t inner, dim3 grid) {
  const cudaError_t err = cudaGetLastError();
  if (err == cudaSuccess) return;
  throw std::runtime_error(std::string(kernel) + "<" + act_name(act) + ", " + type_name<T>() + "> launch (" +
                           sizes_str(n, P, inner) + ", grid " + std::to_string(grid.x) + "×" +
                           std::to_string(grid.y) + "×" + std::to_string(kThreads) +
                           " threads) failed: " + cudaGetErrorString(err));
}

void check_sizes(const char* fn, Act act, int64_t n, int64_t P, int64_t inner) {
  const auto bad = [&](const std::string& why) {
    throw std::runtime_error(std::string(fn) + "(" + act_name(act) + ", " + sizes_str(n, P, inner) + "): " + why);
  };
  if (n < 0 || P < 1 || inner < 1) bad("sizes must be n ≥ 0, P ≥ 1, inner ≥ 1");
  if (n > kMaxElements) bad("the CUDA activation kernels index with 32 bits: at most 2^31 − 1 elements");
  if (n % (P * inner) != 0) bad("n is not a multiple of P·inner");
}

cudaStream_t as_stream(void* s) { return static_cast<cudaStream_t>(s); }

// How a backward is cut into blocks; a function of the sizes and sizeof(T) only.
struct BackwardPlan {
  enum class Kind { elementwise, columns, segments } kind = Kind::elementwise;
  int64_t B = 0, P = 1, inner = 1;  // normalised: P = 1 becomes one segment of n elements
  int cg_log2 = 0;                  // columns
  int64_t grid_x = 0;
  int64_t per_chunk = 0;            // rows (columns) or units (segments) per chunk
  int64_t nchunks = 1;
  size_t workspace_bytes = 0;       // nchunks > 1: the partial sums, in double
};

BackwardPlan plan_backward(int np, bool want_params, int64_t n, int64_t P, int64_t inner, int V) {
  BackwardPlan pl;
  pl.P = P;
  pl.inner = inner;
  if (P == 1) pl.inner = n;  // [B, 1, inner] is one contiguous segment
  pl.B = pl.inner > 0 ? n / (pl.P * pl.inner) : 0;
  if (np == 0 || !want_params || n == 0) return pl;

  if (pl.inner == 1) {
    pl.kind = BackwardPlan::Kind::columns;
    const int64_t groups = ceil_div(pl.P, V);
    int cg_log2 = 0;
    while (cg_log2 < 5 && (int64_t(1) << cg_log2) < groups) ++cg_log2;
    pl.cg_log2 = cg_log2;
    const int64_t R = kThreads >> cg_log2;
    pl.grid_x = ceil_div(groups, int64_t(1) << cg_log2);
    const int64_t want = ceil_div(kTargetThreads, pl.grid_x * kThreads);
    const int64_t most = std::max<int64_t>(1, ceil_div(pl.B, R * kMinWorkPerThread));
    const int64_t chunks = std::clamp<int64_t>(want, 1, most);
    pl.per_chunk = ceil_div(pl.B, chunks);
  } else {
    pl.kind = BackwardPlan::Kind::segments;
    pl.grid_x = pl.P;
    const int64_t units = ceil_div(pl.B * pl.inner, V);
    const int64_t want = ceil_div(kTargetThreads, pl.P * kThreads);
    const int64_t most = std::max<int64_t>(1, ceil_div(units, kThreads * kMinWorkPerThread));
    const int64_t chunks = std::clamp<int64_t>(want, 1, most);
    pl.per_chunk = ceil_div(units, chunks);
  }
  const int64_t extent = pl.kind == BackwardPlan::Kind::columns ? pl.B : ceil_div(pl.B * pl.inner, V);
  pl.nchunks = ceil_div(extent, pl.per_chunk);
  if (pl.nchunks > 1) pl.workspace_bytes = static_cast<size_t>(pl.nchunks * np * pl.P) * sizeof(double);
  return pl;
}

int64_t elementwise_blocks(int64_t n, int V) {
  // Capped: past this the grid-stride loop takes over; the cap is far above any GPU's residency.
  return std::clamp<int64_t>(ceil_div(ceil_div(n, V), kThreads), 1, int64_t(1) << 20);
}

template <typename T>
ParamMode param_mode(int np, const T* const* params, int64_t P, int64_t inner) {
  constexpr int V = vec_width<T>();
  if (inner % V == 0) return ParamMode::shared;
  if (inner == 1 && P % V == 0) {
    bool ok = true;
    for (int k = 0; k < np; ++k) ok = ok && aligned16(params[k]);
    if (ok) return ParamMode::vector;
  }
  return ParamMode::per_lane;
}

template <typename T>
ParamPtrs<T> pack_params(Act act, const T* const* params) {
  ParamPtrs<T> pp{};
  const int np = act_param_count(act);
  if (np > 0 && !params) throw std::runtime_error(std::string(act_name(act)) + ": params is null");
  for (int k = 0; k < np; ++k) {
    if (!params[k])
      throw std::runtime_error(std::string(act_name(act)) + ": parameter '" + act_param_name(act, k) + "' is null");
    pp.p[k] = params[k];
  }
  return pp;
}

template <Act A, typename T, bool BWD>
void launch_elementwise(const T* x, const T* gy, T* out, int64_t n, const T* const* params, int64_t P,
                        int64_t inner, Range r, cudaStream_t stream) {
  constexpr int V = vec_width<T>();
  const bool vec = aligned16(x) && aligned16(out) && (!BWD || aligned16(gy));
  const ParamPtrs<T> pp = pack_params<T>(A, params);
  const dim3 grid(static_cast<unsigned>(elementwise_blocks(n, V)));
  act_elementwise_kernel<A, T, BWD><<<grid, kThreads, 0, stream>>>(
      x, gy, out, static_cast<uint32_t>(n), pp, static_cast<uint32_t>(P), static_cast<uint32_t>(inner),
      FastDiv(static_cast<uint32_t>(inner)), FastDiv(static_cast<uint32_t>(P)), r, vec,
      param_mode<T>(act_param_count(A), pp.p, P, inner));
  check_launch<T>(BWD ? "act_elementwise_kernel (backward)" : "act_elementwise_kernel (forward)", A, n, P, inner,
                  grid);
}

// The backward with parameter gradients; only instantiated for functions that have parameters.
template <Act A, typename T>
void launch_backward_reduce(Range r, const T* x, const T* gy, T* gx, const GradPtrs<T>& gp, int64_t n,
                            const T* const* params, int64_t P, int64_t inner, void* workspace,
                            size_t workspace_bytes, cudaStream_t stream) {
  constexpr int V = vec_width<T>();
  constexpr int np = act_param_count(A);
  const BackwardPlan pl = plan_backward(np, true, n, P, inner, V);
  if (pl.workspace_bytes > 0 && (!workspace || workspace_bytes < pl.workspace_bytes))
    throw std::runtime_error(std::string("act_backward_cuda(") + act_name(A) + ", " + sizes_str(n, P, inner) +
                             "): the workspace holds " + std::to_string(workspace ? workspace_bytes : 0) +
                             " bytes, act_backward_workspace_bytes asks for " +
                             std::to_string(pl.workspace_bytes));
  double* partial = pl.nchunks > 1 ? static_cast<double*>(workspace) : nullptr;
  const ParamPtrs<T> pp = pack_params<T>(A, params);
  const bool data_aligned = aligned16(x) && aligned16(gy) && (!gx || aligned16(gx));
  const dim3 grid(static_cast<unsigned>(pl.grid_x), static_cast<unsigned>(pl.nchunks));

  if (pl.kind == BackwardPlan::Kind::columns) {
    bool params_aligned = true;
    for (int k = 0; k < np; ++k) params_aligned = params_aligned && aligned16(pp.p[k]);
    // Each row starts on a 16-byte boundary only when P is a multiple of the unit.
    const bool vec_data = data_aligned && pl.P % V == 0;
    act_backward_columns_kernel<A, T><<<grid, kThreads, 0, stream>>>(
        x, gy, gx, static_cast<uint32_t>(pl.B), static_cast<uint32_t>(pl.P), pp, r, pl.cg_log2,
        static_cast<uint32_t>(pl.per_chunk), vec_data, params_aligned, partial, gp);
    check_launch<T>("act_backward_columns_kernel", A, n, P, inner, grid);
  } else {
    // Units may be whole vectors only if they never straddle two segments.
    const bool vec_data = data_aligned && (pl.inner % V == 0 || pl.P == 1);
    act_backward_segments_kernel<A, T><<<grid, kThreads, 0, stream>>>(
        x, gy, gx, static_cast<uint32_t>(pl.P), static_cast<uint32_t>(pl.inner),
        FastDiv(static_cast<uint32_t>(pl.inner)), static_cast<uint32_t>(pl.B * pl.inner),
        static_cast<uint32_t>(pl.per_chunk), pp, r, vec_data, partial, gp);
    check_launch<T>("act_backward_segments_kernel", A, n, P, inner, grid);
  }
  if (partial) {
    const dim3 rgrid(static_cast<unsigned>(std::clamp<int64_t>(ceil_div(np * pl.P, kThreads), 1, 1 << 16)));
    act_reduce_chunks_kernel<T><<<rgrid, kThreads, 0, stream>>>(partial, static_cast<uint32_t>(pl.nchunks), np,
                                                                static_cast<uint32_t>(pl.P), gp);
    check_launch<T>("act_reduce_chunks_kernel", A, n, P, inner, rgrid);
  }
}

template <Act A, typename T>
void launch_backward(Range r, const T* x, const T* gy, T* gx, T* const* gparams, int64_t n, const T* const* params,
                     int64_t P, int64_t inner, void* workspace, size_t workspace_bytes, cudaStream_t stream) {
  constexpr int np = act_param_count(A);
  GradPtrs<T> gp{};
  bool want_params = false;
  for (int k = 0; k < np; ++k) {
    gp.p[k] = gparams ? gparams[k] : nullptr;
    want_params = want_params || gp.p[k] != nullptr;
  }
  if constexpr (np > 0) {
    if (want_params) {
      launch_backward_reduce<A, T>(r, x, gy, gx, gp, n, params, P, inner, workspace, workspace_bytes, stream);
      return;
    }
  }
  // No parameter gradient wanted (Mish, a frozen layer): a plain map.
  if (gx) launch_elementwise<A, T, true>(x, gy, gx, n, params, P, inner, r, stream);
}

}  // namespace

template <typename T>
void act_forward_cuda(Act act, Range range, const T* x, T* y, int64_t n, const T* const* params, int64_t P,
                      int64_t inner, void* stream) {
  check_sizes("act_forward_cuda", act, n, P, inner);
  if (n == 0) return;
  dispatch_act(act, [&](auto tag) {
    launch_elementwise<decltype(tag)::value, T, false>(x, nullptr, y, n, params, P, inner, range,
                                                       as_stream(stream));
  });
}

size_t act_backward_workspace_bytes(Act act, int64_t n, int64_t P, int64_t inner, size_t elem_bytes) {
  check_sizes("act_backward_workspace_bytes", act, n, P, inner);
  if (elem_bytes != 4 && elem_bytes != 8)
    throw std::runtime_error("act_backward_workspace_bytes: element size " + std::to_string(elem_bytes) +
                             " is neither 4 (f32) nor 8 (f64)");
  return plan_backward(act_param_count(act), true, n, P, inner, static_cast<int>(16 / elem_bytes)).workspace_bytes;
}

template <typename T>
void act_backward_cuda(Act act, Range range, const T* x, const T* gy, T* gx, T* const* gparams, int64_t n,
                       const T* const* params, int64_t P, int64_t inner, void* workspace, size_t workspace_bytes,
                       void* stream) {
  check_sizes("act_backward_cuda", act, n, P, inner);
  const cudaStream_t s = as_stream(stream);
  if (n == 0) {
    // An empty batch still defines the parameter gradients: all zero (all-zero bits are 0.0).
    for (int k = 0; gparams && k < act_param_count(act); ++k) {
      if (!gparams[k]) continue;
      const cudaError_t err = cudaMemsetAsync(gparams[k], 0, static_cast<size_t>(P) * sizeof(T), s);
      if (err != cudaSuccess) {
        cudaGetLastError();
        throw std::runtime_error(std::string("cudaMemsetAsync(") + std::to_string(P * sizeof(T)) +
                                 " bytes) of an empty batch's parameter gradient failed: " + cudaGetErrorString(err));
      }
    }
    return;
  }
  dispatch_act(act, [&](auto tag) {
    launch_backward<decltype(tag)::value, T>(range, x, gy, gx, gparams, n, params, P, inner, workspace,
                                             workspace_bytes, s);
  });
}

template void act_forward_cuda<float>(Act, Range, const float*, float*, int64_t, const float* const*, int64_t,
                                      int64_t, void*);
template void act_forward_cuda<double>(Act, Range, const double*, double*, int64_t, const double* const*, int64_t,
                                       int64_t, void*);
template void act_backward_cuda<float>(Act, Range, const float*, const float*, float*, float* const*, int64_t,
                                       const float* const*, int64_t, int64_t, void*, size_t, void*);
template void act_backward_cuda<double>(Act, Range, const double*, const double*, double*, double* const*, int64_t,
                                        const double* const*, int64_t, int64_t, void*, size_t, void*);

}  // namespace aafgan::kernels::cuda
