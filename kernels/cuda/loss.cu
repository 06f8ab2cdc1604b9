// Losses (see loss.h). The loss means are a two-pass deterministic sum: block b adds the terms of
// elements [b·per, (b + 1)·per) (thread t those ≡ t mod kThreads, in ascending order) and a
// fixed block tree combines them; with several blocks, one more block adds their partials in a
// fixed tree and divides. The plan depends on the element count alone.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/error_record.cuh"
#include "kernels/cuda/loss.h"
#include "kernels/math/loss.h"

namespace aafgan::kernels::cuda {

using namespace ops_detail;

namespace {

constexpr int64_t kMaxPartials = 1024;
constexpr int64_t kMinPerThread = 16;
// Rows of at most this many classes take one thread each (the CPU's order); longer rows a block.
constexpr int64_t kSeqCols = 64;

struct MeanPlan {
  int64_t blocks = 1, per = 0;
  size_t workspace_bytes = 0;
};

MeanPlan plan_mean(int64_t n) {
  MeanPlan p;
  p.blocks = std::clamp<int64_t>(ceil_div(n, kThreads * kMinPerThread), 1, kMaxPartials);
  p.per = ceil_div(n, p.blocks);
  p.blocks = ceil_div(n, p.per);
  if (p.blocks > 1) p.workspace_bytes = static_cast<size_t>(p.blocks) * sizeof(double);
  return p;
}

template <typename T>
__device__ __forceinline__ T neg_inf() {
  if constexpr (sizeof(T) == 4) return __int_as_float(0xff800000);
  else return __longlong_as_double(static_cast<long long>(0xfff0000000000000ULL));
}

__device__ __forceinline__ double quiet_nan() { return __longlong_as_double(0x7ff8000000000000LL); }

// The terms whose mean (negated) is the loss; ok = false marks an invalid element, whose input
// (the prediction, the label) goes to `bad` for the device error record (error_record.h).
template <typename T>
struct BceTerm {
  static constexpr DeviceErrorOp kError = DeviceErrorOp::bce_prediction;
  const T* p;
  const T* t;
  __device__ __forceinline__ double operator()(uint32_t i, bool& ok, double& bad) const {
    const double pi = p[i];
    ok = bce_prediction_ok(pi);
    bad = pi;
    return bce_term(pi, static_cast<double>(t[i]));
  }
  __device__ __forceinline__ int64_t limit() const { return 0; }
};

template <typename T>
struct NllTerm {
  static constexpr DeviceErrorOp kError = DeviceErrorOp::nll_label;
  const T* logp;
  const T* labels;
  uint32_t cols;
  __device__ __forceinline__ double operator()(uint32_t r, bool& ok, double& bad) const {
    const double label = static_cast<double>(labels[r]);
    const int64_t c = nll_class_index(label, cols);
    ok = c >= 0;
    bad = label;
    return ok ? static_cast<double>(logp[static_cast<size_t>(r) * cols + static_cast<size_t>(c)]) : quiet_nan();
  }
  __device__ __forceinline__ int64_t limit() const { return cols; }
};

// −s / denom as the CPU forms it: its accumulator starts at +0 and subtracts each term.
template <typename T>
__device__ __forceinline__ T finish_mean(double s, double denom) {
  return static_cast<T>((0.0 - s) / denom);
}

template <typename T, typename Term>
__global__ void __launch_bounds__(kThreads)
    mean_terms_kernel(Term term, uint32_t n, uint32_t per, double denom, uint32_t* first_invalid, ErrorSlot errors,
                      double* __restrict__ partial, T* __restrict__ loss) {
  const uint32_t i0 = blockIdx.x * per, i1 = min(n, i0 + per);
  double acc = 0;
  for (uint32_t i = i0 + threadIdx.x; i < i1; i += kThreads) {
    bool ok = true;
    double bad = 0;
    acc += term(i, ok, bad);
    if (!ok) {
      if (first_invalid) atomicMin(first_invalid, i);  // integer: the result is order-free
      record_error(errors, Term::kError, i, bad, term.limit());
    }
  }
  const double s = block_sum(acc);
  if (threadIdx.x == 0) {
    if (gridDim.x == 1) *loss = finish_mean<T>(s, denom);
    else partial[blockIdx.x] = s;
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    mean_partials_kernel(const double* __restrict__ partial, uint32_t count, double denom, T* __restrict__ loss) {
  double acc = 0;
  for (uint32_t b = threadIdx.x; b < count; b += kThreads) acc += partial[b];
  const double s = block_sum(acc);
  if (threadIdx.x == 0) *loss = finish_mean<T>(s, denom);
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    bce_backward_kernel(const T* __restrict__ p, const T* __restrict__ t, const T* __restrict__ gloss,
                        T* __restrict__ gp, T* __restrict__ gt, uint32_t n) {
  const double scale = static_cast<double>(*gloss) / static_cast<double>(n);
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    const double pi = p[i];
    if (gp) gp[i] = static_cast<T>(bce_grad_p(pi, static_cast<double>(t[i]), scale));
    if (gt) gt[i] = static_cast<T>(bce_grad_t(pi, scale));
  }
}

// One thread per row, in the CPU's order.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    log_softmax_seq_kernel(const T* __restrict__ x, T* __restrict__ y, uint32_t rows, uint32_t cols) {
  for (uint32_t r = blockIdx.x * blockDim.x + threadIdx.x; r < rows; r += gridDim.x * blockDim.x) {
    const T* xr = x + static_cast<size_t>(r) * cols;
    T m = xr[0];
    for (uint32_t c = 1; c < cols; ++c)
      if (m < xr[c]) m = xr[c];  // std::max_element's rule
    double s = 0;
    for (uint32_t c = 0; c < cols; ++c) s += log_softmax_exp_term(xr[c], m);
    const T lse = log_softmax_lse(m, s);
    T* yr = y + static_cast<size_t>(r) * cols;
    for (uint32_t c = 0; c < cols; ++c) yr[c] = log_softmax_fwd(xr[c], lse);
  }
}

// One block per row. The maximum is the CPU's whenever the row holds no NaN; with a NaN the
// whole row is NaN on both devices whatever the maximum.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    log_softmax_block_kernel(const T* __restrict__ x, T* __restrict__ y, uint32_t rows, uint32_t cols) {
  for (uint32_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + static_cast<size_t>(r) * cols;
    T m = neg_inf<T>();
    for (uint32_t c = threadIdx.x; c < cols; c += kThreads)
      if (m < xr[c]) m = xr[c];
    m = block_max_all(m);
    double s = 0;
    for (uint32_t c = threadIdx.x; c < cols; c += kThreads) s += log_softmax_exp_term(xr[c], m);
    const T lse = log_softmax_lse(m, block_sum_all(s));
    T* yr = y + static_cast<size_t>(r) * cols;
    for (uint32_t c = threadIdx.x; c < cols; c += kThreads) yr[c] = log_softmax_fwd(xr[c], lse);
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    log_softmax_backward_seq_kernel(const T* __restrict__ y, const T* __restrict__ g, T* __restrict__ gx,
                                    uint32_t rows, uint32_t cols) {
  for (uint32_t r = blockIdx.x * blockDim.x + threadIdx.x; r < rows; r += gridDim.x * blockDim.x) {
    const size_t base = static_cast<size_t>(r) * cols;
    double gs = 0;
    for (uint32_t c = 0; c < cols; ++c) gs += static_cast<double>(g[base + c]);
    const T sum = static_cast<T>(gs);
    for (uint32_t c = 0; c < cols; ++c) gx[base + c] = log_softmax_bwd(y[base + c], g[base + c], sum);
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    log_softmax_backward_block_kernel(const T* __restrict__ y, const T* __restrict__ g, T* __restrict__ gx,
                                      uint32_t rows, uint32_t cols) {
  for (uint32_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const size_t base = static_cast<size_t>(r) * cols;
    double gs = 0;
    for (uint32_t c = threadIdx.x; c < cols; c += kThreads) gs += static_cast<double>(g[base + c]);
    const T sum = static_cast<T>(block_sum_all(gs));
    for (uint32_t c = threadIdx.x; c < cols; c += kThreads)
      gx[base + c] = log_softmax_bwd(y[base + c], g[base + c], sum);
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    nll_backward_kernel(const T* __restrict__ labels, const T* __restrict__ gloss, T* __restrict__ gx, uint32_t n,
                        uint32_t rows, uint32_t cols, FastDiv cols_div) {
  const T v = static_cast<T>(nll_grad_value(static_cast<double>(*gloss), rows));
  for (uint32_t idx = blockIdx.x * blockDim.x + threadIdx.x; idx < n; idx += gridDim.x * blockDim.x) {
    const uint32_t r = cols_div.div(idx);
    const uint32_t c = idx - r * cols;
    const int64_t label = nll_class_index(static_cast<double>(labels[r]), cols);
    gx[idx] = label == static_cast<int64_t>(c) ? v : T(0);
  }
}

// --- host side ------------------------------------------------------------------------------------

template <typename T, typename Term, typename Sizes>
void run_mean(const char* fn, const char* kernel, Term term, int64_t n, double denom, uint32_t* first_invalid,
              void* workspace, size_t workspace_bytes, T* loss, cudaStream_t s, const Sizes& sizes) {
  const MeanPlan p = plan_mean(n);
  if (p.workspace_bytes > 0 && (!workspace || workspace_bytes < p.workspace_bytes))
    bad_args(fn, sizes(),
             "the workspace holds " + std::to_string(workspace ? workspace_bytes : 0) +
                 " bytes, loss_workspace_bytes asks for " + std::to_string(p.workspace_bytes));
  if (first_invalid) check_call(cudaMemsetAsync(first_invalid, 0xFF, sizeof(uint32_t), s), "cudaMemsetAsync", sizes);
  double* partial = p.blocks > 1 ? static_cast<double*>(workspace) : nullptr;
  const ErrorSlot errors = error_slot(s);
  const dim3 grid(static_cast<unsigned>(p.blocks));
  mean_terms_kernel<T, Term><<<grid, kThreads, 0, s>>>(term, static_cast<uint32_t>(n), static_cast<uint32_t>(p.per),
                                                       denom, first_invalid, errors, partial, loss);
  check_launch(kernel, type_name<T>(), grid, sizes);
  if (partial) {
    mean_partials_kernel<T><<<1, kThreads, 0, s>>>(partial, static_cast<uint32_t>(p.blocks), denom, loss);
    check_launch("mean_partials_kernel", type_name<T>(), dim3(1), sizes);
  }
}

std::string rc_str(int64_t rows, int64_t cols) {
  return "rows=" + std::to_string(rows) + ", cols=" + std::to_string(cols);
}

template <typename Sizes>
void check_rows_cols(const char* fn, int64_t rows, int64_t cols, const Sizes& sizes) {
  if (rows < 0 || cols < 1) bad_args(fn, sizes(), "need rows ≥ 0 and cols ≥ 1");
  check_count(fn, rows, sizes);
  check_count(fn, cols, sizes);
  check_count(fn, rows * cols, sizes);
}

}  // namespace

size_t loss_workspace_bytes(int64_t n) {
  check_count("loss_workspace_bytes", n, NStr{n});
  return n > 0 ? plan_mean(n).workspace_bytes : 0;
}

template <typename T>
void bce_forward(const T* p, const T* target, T* loss, int64_t n, uint32_t* first_invalid, void* workspace,
                      size_t workspace_bytes, void* stream) {
  check_count("bce_forward", n, NStr{n});
  if (n < 1) bad_args("bce_forward", NStr{n}(), "binary cross-entropy of an empty batch");
  run_mean<T>("bce_forward", "bce_forward_kernel", BceTerm<T>{p, target}, n, static_cast<double>(n),
              first_invalid, workspace, workspace_bytes, loss, as_stream(stream), NStr{n});
}

template <typename T>
void bce_backward(const T* p, const T* target, const T* gloss, T* gp, T* gt, int64_t n, void* stream) {
  check_count("bce_backward", n, NStr{n});
  if (n == 0 || (!gp && !gt)) return;
  const dim3 grid(blocks_for(n));
  bce_backward_kernel<T><<<grid, kThreads, 0, as_stream(stream)>>>(p, target, gloss, gp, gt, static_cast<uint32_t>(n));
  check_launch("bce_backward_kernel", type_name<T>(), grid, NStr{n});
}

template <typename T>
void log_softmax_forward(const T* x, T* y, int64_t rows, int64_t cols, void* stream) {
  const auto sizes = [&] { return rc_str(rows, cols); };
  check_rows_cols("log_softmax_forward", rows, cols, sizes);
  if (rows == 0) return;
  const cudaStream_t s = as_stream(stream);
  if (cols <= kSeqCols) {
    const dim3 grid(blocks_for(rows));
    log_softmax_seq_kernel<T><<<grid, kThreads, 0, s>>>(x, y, static_cast<uint32_t>(rows), static_cast<uint32_t>(cols));
    check_launch("log_softmax_seq_kernel", type_name<T>(), grid, sizes);
  } else {
    const dim3 grid(static_cast<unsigned>(std::min(rows, kMaxBlocks)));
    log_softmax_block_kernel<T><<<grid, kThreads, 0, s>>>(x, y, static_cast<uint32_t>(rows),
                                                          static_cast<uint32_t>(cols));
    check_launch("log_softmax_block_kernel", type_name<T>(), grid, sizes);
  }
}

template <typename T>
void log_softmax_backward(const T* y, const T* g, T* gx, int64_t rows, int64_t cols, void* stream) {
  const auto sizes = [&] { return rc_str(rows, cols); };
  check_rows_cols("log_softmax_backward", rows, cols, sizes);
  if (rows == 0) return;
  const cudaStream_t s = as_stream(stream);
  if (cols <= kSeqCols) {
    const dim3 grid(blocks_for(rows));
    log_softmax_backward_seq_kernel<T><<<grid, kThreads, 0, s>>>(y, g, gx, static_cast<uint32_t>(rows),
                                                                 static_cast<uint32_t>(cols));
    check_launch("log_softmax_backward_seq_kernel", type_name<T>(), grid, sizes);
  } else {
    const dim3 grid(static_cast<unsigned>(std::min(rows, kMaxBlocks)));
    log_softmax_backward_block_kernel<T><<<grid, kThreads, 0, s>>>(y, g, gx, static_cast<uint32_t>(rows),
                                                                   static_cast<uint32_t>(cols));
    check_launch("log_softmax_backward_block_kernel", type_name<T>(), grid, sizes);
  }
}

template <typename T>
void nll_forward(const T* logp, const T* labels, T* loss, int64_t rows, int64_t cols, uint32_t* first_invalid,
                      void* workspace, size_t workspace_bytes, void* stream) {
  const auto sizes = [&] { return rc_str(rows, cols); };
  check_rows_cols("nll_forward", rows, cols, sizes);
  if (rows < 1) bad_args("nll_forward", sizes(), "nll loss of an empty batch");
  run_mean<T>("nll_forward", "nll_forward_kernel", NllTerm<T>{logp, labels, static_cast<uint32_t>(cols)}, rows,
              static_cast<double>(rows), first_invalid, workspace, workspace_bytes, loss, as_stream(stream), sizes);
}

template <typename T>
void nll_backward(const T* labels, const T* gloss, T* gx, int64_t rows, int64_t cols, void* stream) {
  const auto sizes = [&] { return rc_str(rows, cols); };
  check_rows_cols("nll_backward", rows, cols, sizes);
  const int64_t n = rows * cols;
  if (n == 0) return;
  const dim3 grid(blocks_for(n));
  nll_backward_kernel<T><<<grid, kThreads, 0, as_stream(stream)>>>(labels, gloss, gx, static_cast<uint32_t>(n),
                                                                   static_cast<uint32_t>(rows),
                                                                   static_cast<uint32_t>(cols),
                                                                   FastDiv(static_cast<uint32_t>(cols)));
  check_launch("nll_backward_kernel", type_name<T>(), grid, sizes);
}

template void bce_forward<float>(const float*, const float*, float*, int64_t, uint32_t*, void*, size_t, void*);
template void bce_forward<double>(const double*, const double*, double*, int64_t, uint32_t*, void*, size_t,
                                       void*);
template void bce_backward<float>(const float*, const float*, const float*, float*, float*, int64_t, void*);
template void bce_backward<double>(const double*, const double*, const double*, double*, double*, int64_t,
                                        void*);
template void log_softmax_forward<float>(const float*, float*, int64_t, int64_t, void*);
template void log_softmax_forward<double>(const double*, double*, int64_t, int64_t, void*);
template void log_softmax_backward<float>(const float*, const float*, float*, int64_t, int64_t, void*);
template void log_softmax_backward<double>(const double*, const double*, double*, int64_t, int64_t, void*);
template void nll_forward<float>(const float*, const float*, float*, int64_t, int64_t, uint32_t*, void*, size_t,
                                      void*);
template void nll_forward<double>(const double*, const double*, double*, int64_t, int64_t, uint32_t*, void*,
                                       size_t, void*);
template void nll_backward<float>(const float*, const float*, float*, int64_t, int64_t, void*);
template void nll_backward<double>(const double*, const double*, double*, int64_t, int64_t, void*);

}  // namespace aafgan::kernels::cuda
