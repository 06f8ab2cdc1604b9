// Convolutions on cuDNN's legacy API: descriptors per call, algorithm choices cached per shape.
//
// The three directions of one convolution (input x, weight w, output y):
//   forward          y  = conv(x, w)           cudnnConvolutionForward
//   backward_data    dx = convᵀ(dy, w)         cudnnConvolutionBackwardData
//   backward_filter  dw = Σ dy ⋆ x             cudnnConvolutionBackwardFilter
// A transposed convolution uses the same three with its input and output swapped.
//
// Over 400 lines on purpose: the three directions share the descriptor set-up, the algorithm
// search and its cache; split apart they would have to expose all three.
#include <algorithm>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/cuda/conv.h"
#include "kernels/cuda/conv_plan_cache.h"
#include "kernels/cuda/cudnn_tensor.h"
#include "kernels/cuda/device_allocator.h"
#include "kernels/cuda/device_context.h"
#include "kernels/cuda/runtime_libs_internal.h"

namespace aafgan::kernels::cuda {

namespace {

using detail::check_cuda;
using detail::check_cudnn;
using detail::cudnn_dtype;
using detail::format_bytes;
using detail::TensorDesc;
using detail::to_int;

template <typename T>
const char* dtype_name() {
  return std::is_same_v<T, float> ? "float32" : "float64";
}

// --- descriptors (RAII) ---------------------------------------------------------------------

class FilterDesc {
 public:
  FilterDesc() { check_cudnn(cudnnCreateFilterDescriptor(&d_), "cudnnCreateFilterDescriptor", ""); }
  ~FilterDesc() { cudnnDestroyFilterDescriptor(d_); }
  FilterDesc(const FilterDesc&) = delete;
  FilterDesc& operator=(const FilterDesc&) = delete;
  void set(cudnnDataType_t dt, int k, int c, int h, int w, const std::string& what) {
    check_cudnn(cudnnSetFilter4dDescriptor(d_, dt, CUDNN_TENSOR_NCHW, k, c, h, w), "cudnnSetFilter4dDescriptor",
                what + " [" + std::to_string(k) + ", " + std::to_string(c) + ", " + std::to_string(h) + ", " +
                    std::to_string(w) + "]");
  }
  cudnnFilterDescriptor_t get() const { return d_; }

 private:
  cudnnFilterDescriptor_t d_ = nullptr;
};

class ConvDesc {
 public:
  ConvDesc() { check_cudnn(cudnnCreateConvolutionDescriptor(&d_), "cudnnCreateConvolutionDescriptor", ""); }
  ~ConvDesc() { cudnnDestroyConvolutionDescriptor(d_); }
  ConvDesc(const ConvDesc&) = delete;
  ConvDesc& operator=(const ConvDesc&) = delete;
  void set(cudnnDataType_t dt, int pad_h, int pad_w, int stride_h, int stride_w, const std::string& what) {
    check_cudnn(cudnnSetConvolution2dDescriptor(d_, pad_h, pad_w, stride_h, stride_w, 1, 1, CUDNN_CROSS_CORRELATION,
                                                dt),
                "cudnnSetConvolution2dDescriptor", what);
  }
  void set_math(cudnnMathType_t m, const std::string& what) {
    check_cudnn(cudnnSetConvolutionMathType(d_, m), "cudnnSetConvolutionMathType",
                what + ", math type " + std::to_string(static_cast<int>(m)));
  }
  cudnnConvolutionDescriptor_t get() const { return d_; }

 private:
  cudnnConvolutionDescriptor_t d_ = nullptr;
};

// --- the three directions -------------------------------------------------------------------

using Dir = ConvDirection;

const char* dir_name(Dir d) {
  switch (d) {
    case Dir::forward:
      return "cudnnConvolutionForward";
    case Dir::backward_data:
      return "cudnnConvolutionBackwardData";
    case Dir::backward_filter:
      return "cudnnConvolutionBackwardFilter";
  }
  return "?";
}

// The descriptors of one convolution: x [n, Cin, H, W], w [Cout, Cin, kH, kW], y [n, Cout, OH, OW].
struct Descs {
  TensorDesc x, y;
  FilterDesc w;
  ConvDesc conv;
};

// The operands of one call; which is which depends on the direction:
//   forward:          a = x,  b = w,  out = y
//   backward_data:    a = dy, b = w,  out = dx
//   backward_filter:  a = x,  b = dy, out = dw
struct Operands {
  const void* a;
  const void* b;
  void* out;
};

cudnnStatus_t workspace_size(Dir dir, cudnnHandle_t h, const Descs& d, int algo, size_t* bytes) {
  switch (dir) {
    case Dir::forward:
      return cudnnGetConvolutionForwardWorkspaceSize(h, d.x.get(), d.w.get(), d.conv.get(), d.y.get(),
                                                     static_cast<cudnnConvolutionFwdAlgo_t>(algo), bytes);
    case Dir::backward_data:
      return cudnnGetConvolutionBackwardDataWorkspaceSize(h, d.w.get(), d.y.get(), d.conv.get(), d.x.get(),
                                                          static_cast<cudnnConvolutionBwdDataAlgo_t>(algo), bytes);
    case Dir::backward_filter:
      return cudnnGetConvolutionBackwardFilterWorkspaceSize(h, d.x.get(), d.y.get(), d.conv.get(), d.w.get(),
                                                            static_cast<cudnnConvolutionBwdFilterAlgo_t>(algo),
                                                            bytes);
  }
  return CUDNN_STATUS_BAD_PARAM;
}

int algo_count(Dir dir) {
  switch (dir) {
    case Dir::forward:
      return CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
    case Dir::backward_data:
      return CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT;
    case Dir::backward_filter:
      return CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT;
  }
  return 0;
}

// Deterministic mode's candidates, best first. All are marked deterministic in cuDNN's
// documentation (unlike BWD_DATA_ALGO_0 and BWD_FILTER_ALGO_0/3, which sum with atomics);
// the first ones support float64 too.
std::vector<int> deterministic_algos(Dir dir) {
  switch (dir) {
    case Dir::forward:
      return {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
              CUDNN_CONVOLUTION_FWD_ALGO_GEMM};
    case Dir::backward_data:
      return {CUDNN_CONVOLUTION_BWD_DATA_ALGO_1, CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING,
              CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT, CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED};
    case Dir::backward_filter:
      return {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING,
              CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED};
  }
  return {};
}

// One row of cudnnFind*AlgorithmEx's results, whatever the direction.
struct Perf {
  int algo;
  cudnnStatus_t status;
  float time;
  size_t memory;
  cudnnDeterminism_t determinism;
  cudnnMathType_t math;
};

template <typename P>
Perf to_perf(const P& p) {
  return Perf{static_cast<int>(p.algo), p.status, p.time, p.memory, p.determinism, p.mathType};
}

std::vector<Perf> find_algos(Dir dir, cudnnHandle_t h, const Descs& d, const Operands& ops, void* out,
                             void* workspace, size_t workspace_bytes, const std::string& what) {
  std::vector<Perf> result;
  int returned = 0;
  int requested = 0;
  switch (dir) {
    case Dir::forward:
      check_cudnn(cudnnGetConvolutionForwardAlgorithmMaxCount(h, &requested),
                  "cudnnGetConvolutionForwardAlgorithmMaxCount", what);
      break;
    case Dir::backward_data:
      check_cudnn(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, &requested),
                  "cudnnGetConvolutionBackwardDataAlgorithmMaxCount", what);
      break;
    case Dir::backward_filter:
      check_cudnn(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h, &requested),
                  "cudnnGetConvolutionBackwardFilterAlgorithmMaxCount", what);
      break;
  }
  requested = std::max(requested, algo_count(dir));
  switch (dir) {
    case Dir::forward: {
      std::vector<cudnnConvolutionFwdAlgoPerf_t> p(static_cast<size_t>(requested));
      check_cudnn(cudnnFindConvolutionForwardAlgorithmEx(h, d.x.get(), ops.a, d.w.get(), ops.b, d.conv.get(),
                                                         d.y.get(), out, requested, &returned, p.data(), workspace,
                                                         workspace_bytes),
                  "cudnnFindConvolutionForwardAlgorithmEx", what);
      for (int i = 0; i < returned; ++i) result.push_back(to_perf(p[static_cast<size_t>(i)]));
      break;
    }
    case Dir::backward_data: {
      std::vector<cudnnConvolutionBwdDataAlgoPerf_t> p(static_cast<size_t>(requested));
      check_cudnn(cudnnFindConvolutionBackwardDataAlgorithmEx(h, d.w.get(), ops.b, d.y.get(), ops.a, d.conv.get(),
                                                              d.x.get(), out, requested, &returned, p.data(),
                                                              workspace, workspace_bytes),
                  "cudnnFindConvolutionBackwardDataAlgorithmEx", what);
      for (int i = 0; i < returned; ++i) result.push_back(to_perf(p[static_cast<size_t>(i)]));
      break;
    }
    case Dir::backward_filter: {
      std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> p(static_cast<size_t>(requested));
      check_cudnn(cudnnFindConvolutionBackwardFilterAlgorithmEx(h, d.x.get(), ops.a, d.y.get(), ops.b, d.conv.get(),
                                                                d.w.get(), out, requested, &returned, p.data(),
                                                                workspace, workspace_bytes),
                  "cudnnFindConvolutionBackwardFilterAlgorithmEx", what);
      for (int i = 0; i < returned; ++i) result.push_back(to_perf(p[static_cast<size_t>(i)]));
      break;
    }
  }
  return result;
}

template <typename T>
cudnnStatus_t execute(Dir dir, cudnnHandle_t h, const Descs& d, int algo, const Operands& ops, void* workspace,
                      size_t workspace_bytes, T beta) {
  const T alpha = 1;
  switch (dir) {
    case Dir::forward:
      return cudnnConvolutionForward(h, &alpha, d.x.get(), ops.a, d.w.get(), ops.b, d.conv.get(),
                                     static_cast<cudnnConvolutionFwdAlgo_t>(algo), workspace, workspace_bytes, &beta,
                                     d.y.get(), ops.out);
    case Dir::backward_data:
      return cudnnConvolutionBackwardData(h, &alpha, d.w.get(), ops.b, d.y.get(), ops.a, d.conv.get(),
                                          static_cast<cudnnConvolutionBwdDataAlgo_t>(algo), workspace,
                                          workspace_bytes, &beta, d.x.get(), ops.out);
    case Dir::backward_filter:
      return cudnnConvolutionBackwardFilter(h, &alpha, d.x.get(), ops.a, d.y.get(), ops.b, d.conv.get(),
                                            static_cast<cudnnConvolutionBwdFilterAlgo_t>(algo), workspace,
                                            workspace_bytes, &beta, d.w.get(), ops.out);
  }
  return CUDNN_STATUS_BAD_PARAM;
}

// --- algorithm choice and its cache -----------------------------------------------------------

struct Plan {
  int algo;
  cudnnMathType_t math;
  size_t workspace;
};

ConvPlanCache<Plan>& plan_cache() {
  static auto* c = new ConvPlanCache<Plan>();
  return *c;
}

// Whether the context stream is being captured into a CUDA graph (an invalidated capture
// counts: it has not ended yet).
bool capturing(const std::string& what) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  check_cuda(cudaStreamIsCapturing(detail::stream(), &status), "cudaStreamIsCapturing", what);
  return status != cudaStreamCaptureStatusNone;
}

template <typename T>
bool is_f32() {
  return std::is_same_v<T, float>;
}

// The math type set before searching: float32 without TF32 is restricted to FMA kernels
// (cuDNN's default math may pick TF32 tensor-core kernels on Ampere and later).
template <typename T>
cudnnMathType_t search_math() {
  return is_f32<T>() && !allow_tf32() ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH;
}

// Whether a result's math type keeps the requested precision. CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION
// may round float32 down to half precision: never acceptable. Tensor-op math on float32 is TF32.
template <typename T>
bool math_acceptable(cudnnMathType_t m) {
  if (m == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) return false;
  if (is_f32<T>() && !allow_tf32()) return m == CUDNN_FMA_MATH || m == CUDNN_DEFAULT_MATH;
  return true;
}

// The math type a chosen algorithm runs with (cuDNN needs the pair algorithm + math type it
// reported). float32 without TF32 always runs under FMA math.
template <typename T>
cudnnMathType_t run_math(cudnnMathType_t reported) {
  return is_f32<T>() && !allow_tf32() ? CUDNN_FMA_MATH : reported;
}

// A workspace for the benchmark: the largest any algorithm asks for within the limit, halved
// until the allocator can give it.
CachedBuffer search_workspace(Dir dir, cudnnHandle_t h, const Descs& d, size_t limit) {
  size_t want = 0;
  for (int algo = 0; algo < algo_count(dir); ++algo) {
    size_t bytes = 0;
    if (workspace_size(dir, h, d, algo, &bytes) == CUDNN_STATUS_SUCCESS && bytes <= limit)
      want = std::max(want, bytes);
  }
  while (want > 0) {
    try {
      return CachedBuffer(want);
    } catch (const OutOfMemoryError&) {
      want = want >= (size_t(2) << 20) ? want / 2 : 0;
    }
  }
  return CachedBuffer();
}

template <typename T>
std::vector<Plan> candidate_plans(Dir dir, cudnnHandle_t h, Descs& d, const Operands& ops, size_t out_bytes,
                                  bool accumulate, const std::string& what, std::string& notes) {
  const size_t limit = conv_workspace_limit();
  std::vector<Plan> plans;
  const cudnnMathType_t base = search_math<T>();
  d.conv.set_math(base, what);
  if (deterministic()) {
    for (int algo : deterministic_algos(dir)) {
      size_t bytes = 0;
      const cudnnStatus_t st = workspace_size(dir, h, d, algo, &bytes);
      if (st != CUDNN_STATUS_SUCCESS) {
        notes += "\n  algo " + std::to_string(algo) + ": " + cudnnGetErrorString(st);
        continue;
      }
      if (bytes > limit) {
        notes += "\n  algo " + std::to_string(algo) + ": needs " + format_bytes(bytes) +
                 " of workspace, over the limit";
        continue;
      }
      plans.push_back(Plan{algo, base, bytes});
    }
    return plans;
  }
  CachedBuffer workspace = search_workspace(dir, h, d, limit);
  // The search writes into the output: give it scratch when the output holds data to keep.
  CachedBuffer scratch;
  void* out = ops.out;
  if (accumulate) {
    scratch = CachedBuffer(out_bytes);
    out = scratch.get();
  }
  const std::vector<Perf> perfs =
      find_algos(dir, h, d, ops, out, workspace.get(), workspace.bytes(), what + ", algorithm search");
  for (const Perf& p : perfs) {
    const std::string tag = "\n  algo " + std::to_string(p.algo) + " math " + std::to_string(static_cast<int>(p.math));
    if (p.status != CUDNN_STATUS_SUCCESS) {
      notes += tag + ": " + cudnnGetErrorString(p.status);
      continue;
    }
    if (!math_acceptable<T>(p.math)) {
      notes += tag + ": math type not allowed (TF32 off or precision loss)";
      continue;
    }
    const cudnnMathType_t math = run_math<T>(p.math);
    d.conv.set_math(math, what);
    size_t bytes = 0;
    const cudnnStatus_t st = workspace_size(dir, h, d, p.algo, &bytes);
    if (st != CUDNN_STATUS_SUCCESS) {
      notes += tag + ": workspace query: " + cudnnGetErrorString(st);
      continue;
    }
    bytes = std::max(bytes, p.memory);
    if (bytes > limit) {
      notes += tag + ": needs " + format_bytes(bytes) + " of workspace, over the limit";
      continue;
    }
    const bool seen = std::any_of(plans.begin(), plans.end(),
                                  [&](const Plan& q) { return q.algo == p.algo && q.math == math; });
    if (!seen) plans.push_back(Plan{p.algo, math, bytes});
  }
  return plans;
}

// --- validation -----------------------------------------------------------------------------

void validate(const ConvShape& s, const std::string& what) {
  const bool ok = s.n >= 0 && s.in_channels > 0 && s.in_h > 0 && s.in_w > 0 && s.out_channels > 0 &&
                  s.kernel_h > 0 && s.kernel_w > 0 && s.stride_h > 0 && s.stride_w > 0 && s.pad_h >= 0 &&
                  s.pad_w >= 0;
  if (!ok)
    throw std::runtime_error(what + ": invalid shape (sizes, kernel and stride must be positive, padding not "
                                    "negative)");
  if (s.in_h + 2 * s.pad_h < s.kernel_h || s.in_w + 2 * s.pad_w < s.kernel_w)
    throw std::runtime_error(what + ": the kernel is larger than the padded input");
  const int64_t limit = INT32_MAX;
  if (s.input_elems() > limit || s.output_elems() > limit || s.weight_elems() > limit)
    throw std::runtime_error(what +
                             ": a tensor of 2^31 or more elements is beyond cuDNN's legacy API; split the batch");
}

template <typename T>
void fill_descs(Descs& d, const ConvShape& s, const std::string& what) {
  const cudnnDataType_t dt = cudnn_dtype<T>();
  d.x.set(dt, to_int(s.n, "n", what), to_int(s.in_channels, "in_channels", what), to_int(s.in_h, "in_h", what),
          to_int(s.in_w, "in_w", what), what + ": input");
  d.w.set(dt, to_int(s.out_channels, "out_channels", what), to_int(s.in_channels, "in_channels", what),
          to_int(s.kernel_h, "kernel_h", what), to_int(s.kernel_w, "kernel_w", what), what + ": weight");
  d.y.set(dt, to_int(s.n, "n", what), to_int(s.out_channels, "out_channels", what), to_int(s.out_h(), "out_h", what),
          to_int(s.out_w(), "out_w", what), what + ": output");
  d.conv.set(dt, to_int(s.pad_h, "pad_h", what), to_int(s.pad_w, "pad_w", what), to_int(s.stride_h, "stride_h", what),
             to_int(s.stride_w, "stride_w", what), what);
  // cuDNN must agree on the output size, or the descriptors do not describe this convolution.
  int n = 0, c = 0, h = 0, w = 0;
  check_cudnn(cudnnGetConvolution2dForwardOutputDim(d.conv.get(), d.x.get(), d.w.get(), &n, &c, &h, &w),
              "cudnnGetConvolution2dForwardOutputDim", what);
  if (n != s.n || c != s.out_channels || h != s.out_h() || w != s.out_w())
    throw std::runtime_error(what + ": cuDNN computes output [" + std::to_string(n) + ", " + std::to_string(c) +
                             ", " + std::to_string(h) + ", " + std::to_string(w) + "], expected [" +
                             std::to_string(s.n) + ", " + std::to_string(s.out_channels) + ", " +
                             std::to_string(s.out_h()) + ", " + std::to_string(s.out_w()) + "]");
}

// Runs one direction of convolution `s`, choosing (once) and caching the algorithm.
template <typename T>
void run(Dir dir, const ConvShape& s, const Operands& ops, WriteMode mode, const std::string& what) {
  const cudnnHandle_t h = detail::cudnn();
  Descs d;
  fill_descs<T>(d, s, what);
  const bool accumulate = mode == WriteMode::accumulate;
  const size_t out_elems = static_cast<size_t>(dir == Dir::forward         ? s.output_elems()
                                               : dir == Dir::backward_data ? s.input_elems()
                                                                           : s.weight_elems());
  int dev = 0;
  check_cuda(cudaGetDevice(&dev), "cudaGetDevice", what);
  const ConvPlanKey key{dir, dev, !is_f32<T>(), s, deterministic(), allow_tf32(), conv_workspace_limit()};
  const T beta = accumulate ? T(1) : T(0);

  const auto exec = [&](const Plan& p) {
    d.conv.set_math(p.math, what);
    CachedBuffer workspace(p.workspace);
    check_cudnn(execute<T>(dir, h, d, p.algo, ops, workspace.get(), p.workspace, beta), dir_name(dir),
                what + ", algo " + std::to_string(p.algo) + ", math " + std::to_string(static_cast<int>(p.math)) +
                    ", workspace " + format_bytes(p.workspace));
    detail::after_enqueue(dir_name(dir), what + ", algo " + std::to_string(p.algo));
    // The workspace goes back to the cache here; later work on this stream runs after the call.
  };

  // Throws on a miss during capture, before any search could invalidate it.
  if (const std::optional<Plan> cached = plan_cache().find(key, capturing(what), what)) {
    exec(*cached);
    return;
  }
  std::string notes;
  const std::vector<Plan> plans =
      candidate_plans<T>(dir, h, d, ops, out_elems * sizeof(T), accumulate, what, notes);
  // The first that runs wins (one may still fail, e.g. its workspace does not fit now).
  for (const Plan& p : plans) {
    try {
      exec(p);
    } catch (const std::runtime_error& e) {
      notes += std::string("\n  ") + e.what();
      continue;
    }
    plan_cache().insert(key, p);
    return;
  }
  throw std::runtime_error(what + ": no cuDNN algorithm could run it (" +
                           (deterministic() ? "deterministic" : "benchmarked") + " search, workspace limit " +
                           format_bytes(conv_workspace_limit()) + ")" + notes);
}

// out[ch] (+)= Σ over b < n, i < s of g[(b·c + ch)·s + i]: one block per channel, summing in
// double in an order fixed by the sizes alone.
constexpr int kSumThreads = 256;

template <typename T>
__global__ void channel_sum_kernel(const T* g, int64_t n, int64_t c, int64_t s, T* out, bool accumulate) {
  __shared__ double partial[kSumThreads];
  const int64_t ch = blockIdx.x;
  const int64_t count = n * s;
  double acc = 0;
  for (int64_t e = threadIdx.x; e < count; e += kSumThreads) {
    const int64_t b = e / s, i = e % s;
    acc += static_cast<double>(g[(b * c + ch) * s + i]);
  }
  partial[threadIdx.x] = acc;
  __syncthreads();
  for (int stride = kSumThreads / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < static_cast<unsigned>(stride)) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    const T v = static_cast<T>(partial[0]);
    out[ch] = accumulate ? out[ch] + v : v;
  }
}

template <typename T>
void channel_sum(const T* g, int64_t n, int64_t c, int64_t s, T* out, WriteMode mode, const std::string& what) {
  if (c == 0) return;
  if (c > INT32_MAX) throw std::runtime_error(what + ": too many channels");
  channel_sum_kernel<T><<<static_cast<unsigned>(c), kSumThreads, 0, detail::stream()>>>(
      g, n, c, s, out, mode == WriteMode::accumulate);
  detail::check_launch("channel_sum_kernel", what);
}

// y [n, c, h, w] += bias[c].
template <typename T>
void add_bias(const T* bias, T* y, int64_t n, int64_t c, int64_t h, int64_t w, const std::string& what) {
  const cudnnHandle_t hd = detail::cudnn();
  TensorDesc bd, yd;
  bd.set(cudnn_dtype<T>(), 1, to_int(c, "channels", what), 1, 1, what + ": bias");
  yd.set(cudnn_dtype<T>(), to_int(n, "n", what), to_int(c, "channels", what), to_int(h, "out_h", what),
         to_int(w, "out_w", what), what + ": output");
  const T one = 1;
  check_cudnn(cudnnAddTensor(hd, &one, bd.get(), bias, &one, yd.get(), y), "cudnnAddTensor", what + ": bias");
  detail::after_enqueue("cudnnAddTensor", what + ": bias");
}

// An empty batch still has a (zero) weight gradient.
template <typename T>
void zero_if_overwrite(T* p, int64_t elems, WriteMode mode, const std::string& what) {
  if (mode == WriteMode::accumulate || elems == 0) return;
  check_cuda(cudaMemsetAsync(p, 0, static_cast<size_t>(elems) * sizeof(T), detail::stream()), "cudaMemsetAsync",
             what + ": zero gradient of an empty batch");
  detail::after_enqueue("cudaMemsetAsync", what + ": zero gradient of an empty batch");
}

template <typename T>
std::string describe(const char* op, const ConvShape& s) {
  return std::string(op) + " " + s.str() + " " + dtype_name<T>();
}

template <typename T>
std::string describe(const char* op, const ConvTransposeShape& s) {
  return std::string(op) + " " + s.str() + " " + dtype_name<T>();
}

// The transposed convolution's checks, then those of the convolution it is the transpose of.
ConvShape checked_conv(const ConvTransposeShape& s, const std::string& what) {
  const bool ok = s.n >= 0 && s.in_channels > 0 && s.in_h > 0 && s.in_w > 0 && s.out_channels > 0 &&
                  s.kernel_h > 0 && s.kernel_w > 0 && s.stride_h > 0 && s.stride_w > 0 && s.pad_h >= 0 &&
                  s.pad_w >= 0 && s.output_pad_h >= 0 && s.output_pad_w >= 0 && s.output_pad_h < s.stride_h &&
                  s.output_pad_w < s.stride_w;
  if (!ok)
    throw std::runtime_error(what + ": invalid shape (sizes, kernel and stride must be positive, padding not "
                                    "negative, output_pad smaller than the stride)");
  if (s.out_h() <= 0 || s.out_w() <= 0) throw std::runtime_error(what + ": the output is empty");
  const ConvShape c = s.as_conv();
  validate(c, what);
  if (c.out_h() != s.in_h || c.out_w() != s.in_w)
    throw std::runtime_error(what + ": internal error: the adjoint convolution does not give back the input size");
  return c;
}

}  // namespace

// --- conv2d ---------------------------------------------------------------------------------

template <typename T>
void conv2d_forward(const ConvShape& s, const T* x, const T* weight, const T* bias, T* y, WriteMode mode) {
  const std::string what = describe<T>("conv2d forward", s);
  validate(s, what);
  if (s.n == 0) return;
  run<T>(Dir::forward, s, Operands{x, weight, y}, mode, what);
  if (bias) add_bias<T>(bias, y, s.n, s.out_channels, s.out_h(), s.out_w(), what);
}

template <typename T>
void conv2d_backward_data(const ConvShape& s, const T* gy, const T* weight, T* gx, WriteMode mode) {
  const std::string what = describe<T>("conv2d backward data", s);
  validate(s, what);
  if (s.n == 0) return;
  run<T>(Dir::backward_data, s, Operands{gy, weight, gx}, mode, what);
}

template <typename T>
void conv2d_backward_filter(const ConvShape& s, const T* x, const T* gy, T* gweight, WriteMode mode) {
  const std::string what = describe<T>("conv2d backward filter", s);
  validate(s, what);
  if (s.n == 0) return zero_if_overwrite(gweight, s.weight_elems(), mode, what);
  run<T>(Dir::backward_filter, s, Operands{x, gy, gweight}, mode, what);
}

template <typename T>
void conv2d_backward_bias(const ConvShape& s, const T* gy, T* gbias, WriteMode mode) {
  const std::string what = describe<T>("conv2d backward bias", s);
  validate(s, what);
  channel_sum<T>(gy, s.n, s.out_channels, s.out_h() * s.out_w(), gbias, mode, what);
}

// --- conv_transpose2d -----------------------------------------------------------------------

template <typename T>
void conv_transpose2d_forward(const ConvTransposeShape& s, const T* x, const T* weight, const T* bias, T* y,
                              WriteMode mode) {
  const std::string what = describe<T>("conv_transpose2d forward", s);
  const ConvShape c = checked_conv(s, what);
  if (s.n == 0) return;
  // y is the adjoint convolution's input: its backward-data with our x as its output gradient.
  run<T>(Dir::backward_data, c, Operands{x, weight, y}, mode, what);
  if (bias) add_bias<T>(bias, y, s.n, s.out_channels, s.out_h(), s.out_w(), what);
}

template <typename T>
void conv_transpose2d_backward_data(const ConvTransposeShape& s, const T* gy, const T* weight, T* gx,
                                    WriteMode mode) {
  const std::string what = describe<T>("conv_transpose2d backward data", s);
  const ConvShape c = checked_conv(s, what);
  if (s.n == 0) return;
  // The adjoint convolution's forward, reading our output gradient as its input.
  run<T>(Dir::forward, c, Operands{gy, weight, gx}, mode, what);
}

template <typename T>
void conv_transpose2d_backward_filter(const ConvTransposeShape& s, const T* x, const T* gy, T* gweight,
                                      WriteMode mode) {
  const std::string what = describe<T>("conv_transpose2d backward filter", s);
  const ConvShape c = checked_conv(s, what);
  if (s.n == 0) return zero_if_overwrite(gweight, s.weight_elems(), mode, what);
  // The adjoint convolution's weight gradient: its input is our gy, its output gradient our x.
  run<T>(Dir::backward_filter, c, Operands{gy, x, gweight}, mode, what);
}

template <typename T>
void conv_transpose2d_backward_bias(const ConvTransposeShape& s, const T* gy, T* gbias, WriteMode mode) {
  const std::string what = describe<T>("conv_transpose2d backward bias", s);
  checked_conv(s, what);
  channel_sum<T>(gy, s.n, s.out_channels, s.out_h() * s.out_w(), gbias, mode, what);
}

size_t conv_algorithm_cache_size() { return plan_cache().size(); }

AAFGAN_CONV_KERNELS(template, float)
AAFGAN_CONV_KERNELS(template, double)

}  // namespace aafgan::kernels::cuda
