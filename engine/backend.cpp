// The router of engine/backend.h: each function turns tensors into pointers and sizes, then
// calls kernels::cpu::f or kernels::cuda::f. AAFGAN_TWIN writes both calls from one argument
// list, so the twins' shared signature is checked by the compiler wherever CUDA is built; the
// functions whose CUDA twin also takes a workspace spell the two calls out.
//
// A build without CUDA still compiles every CUDA call below (the kernels/cuda headers are
// plain C++), but `on` never invokes them, so nothing of kernels/cuda is linked: on such a
// build a CUDA tensor reaches `no_backend`, the one place that says so.
//
// Over 400 lines on purpose: the router is one file so that every op's CPU/CUDA twin pair is
// seen side by side (dlib's tensor_tools.cpp), each entry a few lines.
#include "engine/backend.h"

#include <cstring>
#include <cstdlib>
#include <limits>
#include <type_traits>

#include "base/error.h"
#include "engine/host_allocator.h"
#include "kernels/cpu/activations.h"
#include "kernels/cpu/batchnorm.h"
#include "kernels/cpu/conv.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/image_ops.h"
#include "kernels/cpu/loss.h"
#include "kernels/cpu/optim.h"
#include "kernels/cpu/pointwise.h"
#include "kernels/cpu/pool.h"
#include "kernels/cpu/random.h"
#include "kernels/cpu/reduce.h"
#include "kernels/cpu/step_stats.h"
#include "kernels/cuda/activations.h"
#include "kernels/cuda/batchnorm.h"
#include "kernels/cuda/conv.h"
#include "kernels/cuda/device_allocator.h"
#include "kernels/cuda/device_context.h"
#include "kernels/cuda/device_query.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/error_record.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/graph.h"
#include "kernels/cuda/image_ops.h"
#include "kernels/cuda/loss.h"
#include "kernels/cuda/optim.h"
#include "kernels/cuda/pinned_memory.h"
#include "kernels/cuda/pointwise.h"
#include "kernels/cuda/pool.h"
#include "kernels/cuda/random.h"
#include "kernels/cuda/reduce.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/step_stats.h"
#include "kernels/math/loss.h"

namespace aafgan::backend {

namespace cpu = kernels::cpu;
namespace cuda = kernels::cuda;

namespace {

#if defined(AAFGAN_WITH_CUDA)
constexpr bool kWithCuda = true;
#else
constexpr bool kWithCuda = false;
#endif
#if defined(AAFGAN_WITH_CUDNN)
constexpr bool kWithCudnn = true;
#else
constexpr bool kWithCudnn = false;
#endif

// The one answer of a build that lacks what a GPU tensor needs.
[[noreturn]] void no_backend(const Device& d, const char* library) {
  fail("{}: this build has no {} backend (built without {}; rebuild where the toolkit is installed)", d.str(),
       library, library);
}

// Makes CUDA device d current for its scope and restores the thread's previous device after, so
// that work on cuda:1 leaves later work meant for the previous device on that device's
// workspaces and handles. Cheap when nothing changes: cudaGetDevice is a thread-local read.
// Every backend entry that needs d current runs inside one.
class DeviceScope {
 public:
  explicit DeviceScope(const Device& d) {
#if defined(AAFGAN_WITH_CUDA)
    previous_ = cuda::current_device();
    if (previous_ != d.index) cuda::set_device(d.index);
#else
    (void)d;
#endif
  }
  ~DeviceScope() {
#if defined(AAFGAN_WITH_CUDA)
    // A destructor cannot report; restoring a device that was current a moment ago does not fail.
    try {
      if (cuda::current_device() != previous_) cuda::set_device(previous_);
    } catch (...) {
    }
#endif
  }
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;

 private:
  int previous_ = 0;
};

// The current device's context stream (inside a DeviceScope).
void* current_stream() {
#if defined(AAFGAN_WITH_CUDA)
  return cuda::context_stream();
#else
  return nullptr;
#endif
}

// One readable message per invalid loss input, the same whether the CPU op found it at once or
// a GPU's error record (kernels/cuda/error_record.h) reported it at the next wait.
[[noreturn]] void bad_bce_prediction(double value, uint64_t index, const std::string& where) {
  fail("binary_cross_entropy: prediction {} at index {} is outside [0, 1]{}", value, index, where);
}
[[noreturn]] void bad_nll_label(double value, uint64_t row, int64_t classes, const std::string& where) {
  fail("nll_loss: label {} at row {} is not a class index in [0, {}){}", value, row, classes, where);
}

#if defined(AAFGAN_WITH_CUDA)
// After waiting for d (inside its DeviceScope): throws what d's kernels recorded, if anything.
void raise_device_errors(const Device& d) {
  cuda::DeviceError e;
  if (!cuda::take_device_error(e, current_stream())) return;
  const std::string where = fmt::format(" (found on {}, reported at the next wait for it)", d.str());
  switch (e.op) {
    case cuda::DeviceErrorOp::bce_prediction: bad_bce_prediction(e.value, e.index, where);
    case cuda::DeviceErrorOp::nll_label: bad_nll_label(e.value, e.index, e.limit, where);
    case cuda::DeviceErrorOp::none: break;
  }
  fail("{}: the device error record holds unknown op {}", d.str(), static_cast<uint32_t>(e.op));
}
#endif

// cpu() for host tensors, gpu(stream) on the device's stream for CUDA ones, d current meanwhile.
template <typename Cpu, typename Gpu>
void on(const Device& d, Cpu&& cpu_call, Gpu&& gpu_call) {
  if (d.is_cpu()) {
    cpu_call();
    return;
  }
  if constexpr (kWithCuda) {
    const DeviceScope scope(d);
    gpu_call(current_stream());
  } else {
    (void)gpu_call;
    no_backend(d, "CUDA");
  }
}

// The cuDNN kernels (convolutions, batch norm) run on the current device's context stream.
template <typename Cpu, typename Gpu>
void on_cudnn(const Device& d, Cpu&& cpu_call, Gpu&& gpu_call) {
  if (d.is_cpu()) {
    cpu_call();
    return;
  }
  if constexpr (kWithCudnn) {
    const DeviceScope scope(d);
    gpu_call();
  } else {
    (void)gpu_call;
    no_backend(d, kWithCuda ? "cuDNN" : "CUDA");
  }
}

#define AAFGAN_TWIN(device, fn, ...) \
  on((device), [&] { cpu::fn(__VA_ARGS__); }, [&](void* stream_) { cuda::fn(__VA_ARGS__, stream_); })

#define AAFGAN_TYPED(t, ...)                  \
  dispatch((t).dtype(), [&](auto dtype_tag) { \
    using T = typename decltype(dtype_tag)::type; \
    __VA_ARGS__;                              \
  })

template <typename T>
T* ptr(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

// The broadcast map of out = a op b (or of g summed to t, with a = g): dims and element strides.
kernels::BroadcastIndex broadcast_index(const Shape& out, const Shape& a, const Shape& b) {
  const auto os = out.vec(), as = a.vec(), bs = b.vec();
  AAFGAN_CHECK(out.ndim() <= kernels::kMaxBroadcastDims, "broadcast of {} dimensions (at most {})", out.ndim(),
               kernels::kMaxBroadcastDims);
  return kernels::make_broadcast_index(out.ndim(), os.data(), a.ndim(), as.data(), b.ndim(), bs.data());
}

}  // namespace

// --- devices ---------------------------------------------------------------------------------

// The functions below that are not routed by `on` choose with the preprocessor: without CUDA
// they must not name kernels/cuda at all, since nothing of it is linked.

DeviceCount device_count() {
#if defined(AAFGAN_WITH_CUDA)
  const cuda::DeviceCount c = cuda::device_count();
  return {c.count, c.reason};
#else
  return {0, "this build has no CUDA backend (configured without a CUDA toolkit)"};
#endif
}

std::string device_name(const Device& d) {
  if (d.is_cpu()) return "cpu";
#if defined(AAFGAN_WITH_CUDA)
  const DeviceScope scope(d);
  return cuda::device_name();
#else
  no_backend(d, "CUDA");
#endif
}

int compute_capability(const Device& d) {
  if (d.is_cpu()) return 0;
#if defined(AAFGAN_WITH_CUDA)
  return cuda::compute_capability(d.index);
#else
  no_backend(d, "CUDA");
#endif
}

void make_current(const Device& d) {
  if (d.is_cpu()) return;
#if defined(AAFGAN_WITH_CUDA)
  // Every op and allocation comes through here: cudaGetDevice is a cheap thread-local read,
  // while set_device also validates the index with cudaGetDeviceCount.
  if (cuda::current_device() != d.index) cuda::set_device(d.index);
#else
  no_backend(d, "CUDA");
#endif
}

void* stream(const Device& d) {
  if (d.is_cpu()) return nullptr;
#if defined(AAFGAN_WITH_CUDA)
  const DeviceScope scope(d);
  return current_stream();
#else
  no_backend(d, "CUDA");
#endif
}

void synchronize(const Device& d) {
  if (d.is_cpu()) return;
#if defined(AAFGAN_WITH_CUDA)
  const DeviceScope scope(d);
  cuda::synchronize();
  raise_device_errors(d);
#else
  no_backend(d, "CUDA");
#endif
}

// Without CUDA there is nothing these switches could change.
void set_allow_tf32(bool on_) {
#if defined(AAFGAN_WITH_CUDA)
  cuda::set_allow_tf32(on_);
#else
  (void)on_;
#endif
}

void set_deterministic(bool on_) {
#if defined(AAFGAN_WITH_CUDA)
  cuda::set_deterministic(on_);
#else
  (void)on_;
#endif
}

void* allocate(const Device& d, size_t bytes) {
  if (d.is_cpu()) return host_alloc(bytes);  // non-null even for 0 bytes, as memcpy wants
  if (bytes == 0) return nullptr;
#if defined(AAFGAN_WITH_CUDA)
  const DeviceScope scope(d);
  try {
    return cuda::cached_alloc(bytes);
  } catch (const std::exception& e) {
    fail("{}", e.what());  // the allocator's message names the sizes and what is free
  }
#else
  no_backend(d, "CUDA");
#endif
}

void deallocate(const Device& d, void* p, size_t bytes) noexcept {
  if (!p) return;
  if (d.is_cpu()) {
    host_free(p, bytes);
    return;
  }
#if defined(AAFGAN_WITH_CUDA)
  // A failure cannot be reported from a destructor; the block is then lost to the cache.
  try {
    const DeviceScope scope(d);
    cuda::cached_free(p);
  } catch (...) {
  }
#endif
}

Buffer::Buffer(const Device& d, size_t bytes) : device_(d), ptr_(allocate(d, bytes)), bytes_(bytes) {}

Buffer::~Buffer() { deallocate(device_, ptr_, bytes_); }

void* pinned_alloc(size_t bytes) {
#if defined(AAFGAN_WITH_CUDA)
  return cuda::pinned_alloc(bytes);
#else
  if (bytes == 0) return nullptr;
  void* p = std::malloc(bytes);
  if (!p) fail("out of host memory allocating {} bytes", bytes);
  return p;
#endif
}

void pinned_free(void* p) noexcept {
  if (!p) return;
#if defined(AAFGAN_WITH_CUDA)
  try {
    cuda::pinned_free(p);
  } catch (...) {
  }
#else
  std::free(p);
#endif
}

void copy_bytes(void* dst, const Device& to, const void* src, const Device& from, size_t bytes) {
  if (bytes == 0) return;
  if (to.is_cpu() && from.is_cpu()) {
    std::memmove(dst, src, bytes);
    return;
  }
#if defined(AAFGAN_WITH_CUDA)
  if (to.is_cuda() && from.is_cuda()) {
    AAFGAN_CHECK(to == from, "copy between {} and {}: copy through the cpu", from.str(), to.str());
    const DeviceScope scope(to);
    cuda::copy_device_to_device_async(dst, src, bytes, current_stream());
  } else if (to.is_cuda()) {
    // From pageable memory cudaMemcpyAsync returns once the source is staged: no wait.
    const DeviceScope scope(to);
    cuda::copy_to_device_async(dst, src, bytes, current_stream());
  } else {
    const DeviceScope scope(from);
    void* s = current_stream();
    cuda::copy_to_host_async(dst, src, bytes, s);
    cuda::stream_synchronize(s);  // the caller reads the data next
    // The wait also finished every loss enqueued before: report an invalid input now.
    raise_device_errors(from);
  }
#else
  no_backend(to.is_cuda() ? to : from, "CUDA");
#endif
}

void stream_synchronize(void* s) {
#if defined(AAFGAN_WITH_CUDA)
  cuda::stream_synchronize(s);
#else
  (void)s;
#endif
}

// --- graphs and events -------------------------------------------------------------------------

bool capturing(const Device& d) {
  if (d.is_cpu()) return false;
#if defined(AAFGAN_WITH_CUDA)
  return cuda::stream_capturing(stream(d));
#else
  no_backend(d, "CUDA");
#endif
}

void graph_begin_capture(const Device& d) {
  AAFGAN_CHECK(!d.is_cpu(), "CUDA graphs need a CUDA device, not {}", d.str());
#if defined(AAFGAN_WITH_CUDA)
  cuda::graph_begin_capture(stream(d));
#else
  no_backend(d, "CUDA");
#endif
}

void* graph_end_capture(const Device& d) {
  AAFGAN_CHECK(!d.is_cpu(), "CUDA graphs need a CUDA device, not {}", d.str());
#if defined(AAFGAN_WITH_CUDA)
  return cuda::graph_end_capture(stream(d));
#else
  no_backend(d, "CUDA");
#endif
}

void graph_abort_capture(const Device& d) noexcept {
#if defined(AAFGAN_WITH_CUDA)
  if (d.is_cpu()) return;
  try {
    cuda::graph_abort_capture(stream(d));
  } catch (...) {
  }
#else
  (void)d;
#endif
}

void graph_launch(const Device& d, void* graph) {
  AAFGAN_CHECK(!d.is_cpu() && graph, "graph_launch: no CUDA graph for {}", d.str());
#if defined(AAFGAN_WITH_CUDA)
  cuda::graph_launch(graph, stream(d));
#else
  no_backend(d, "CUDA");
#endif
}

void graph_destroy(void* graph) noexcept {
#if defined(AAFGAN_WITH_CUDA)
  cuda::graph_destroy(graph);
#else
  (void)graph;
#endif
}

void* event_record_new(const Device& d) {
  if (d.is_cpu()) return nullptr;
#if defined(AAFGAN_WITH_CUDA)
  void* s = stream(d);
  void* e = cuda::event_create();
  try {
    cuda::event_record(e, s);
  } catch (...) {
    cuda::event_destroy(e);
    throw;
  }
  return e;
#else
  no_backend(d, "CUDA");
#endif
}

void event_record(const Device& d, void* event) {
  if (d.is_cpu() || !event) return;
#if defined(AAFGAN_WITH_CUDA)
  cuda::event_record(event, stream(d));
#endif
}

void event_synchronize(void* event) {
  if (!event) return;
#if defined(AAFGAN_WITH_CUDA)
  cuda::event_synchronize(event);
#endif
}

void event_destroy(void* event) noexcept {
#if defined(AAFGAN_WITH_CUDA)
  cuda::event_destroy(event);
#else
  (void)event;
#endif
}

// --- elementwise -----------------------------------------------------------------------------

void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  const kernels::BroadcastIndex bi = broadcast_index(out.shape(), a.shape(), b.shape());
  AAFGAN_TYPED(out, AAFGAN_TWIN(out.device(), binary<T>, op, a.data<T>(), b.data<T>(), out.data<T>(), bi));
}

void affine(const Tensor& x, Tensor& y, double scale, double shift) {
  AAFGAN_TYPED(x, AAFGAN_TWIN(x.device(), affine<T>, x.data<T>(), y.data<T>(), x.numel(), scale, shift));
}

void rdiv(double s, const Tensor& x, Tensor& y) {
  AAFGAN_TYPED(x, AAFGAN_TWIN(x.device(), rdiv<T>, s, x.data<T>(), y.data<T>(), x.numel()));
}

void fill(Tensor& t, double value) {
  AAFGAN_TYPED(t, AAFGAN_TWIN(t.device(), fill<T>, t.data<T>(), t.numel(), value));
}

void fill_from(Tensor& t, const Tensor& value) {
  AAFGAN_CHECK(value.numel() == 1 && value.dtype() == t.dtype() && value.device() == t.device(),
               "fill_from: {} is not one element like {}", value.str(), t.str());
  AAFGAN_TYPED(t, AAFGAN_TWIN(t.device(), fill_from_device<T>, t.data<T>(), t.numel(), value.data<T>()));
}

void copy(Tensor& dst, const Tensor& src) {
  AAFGAN_CHECK(src.shape() == dst.shape(), "copy_: source {} does not match destination {}", src.str(), dst.str());
  if (dst.numel() == 0) return;
  if (src.dtype() == dst.dtype()) {
    copy_bytes(dst.raw_data(), dst.device(), src.raw_data(), src.device(), dst.nbytes());
    return;
  }
  if (src.device() == dst.device()) {  // a conversion where the data lives
    const Device d = dst.device();
    if (dst.dtype() == DType::f64) {
      const float* from = src.data<float>();
      double* to = dst.data<double>();
      on(d, [&] { cpu::convert<float, double>(from, to, dst.numel()); },
         [&](void* s) { cuda::convert<float, double>(from, to, dst.numel(), s); });
    } else {
      const double* from = src.data<double>();
      float* to = dst.data<float>();
      on(d, [&] { cpu::convert<double, float>(from, to, dst.numel()); },
         [&](void* s) { cuda::convert<double, float>(from, to, dst.numel(), s); });
    }
    return;
  }
  // Across devices with a conversion: convert on the host side, then move the bytes.
  if (src.device().is_cpu()) {
    const Tensor staged = src.to(dst.dtype());
    copy_bytes(dst.raw_data(), dst.device(), staged.raw_data(), staged.device(), dst.nbytes());
  } else {
    Tensor staged = Tensor::empty(src.shape(), src.dtype());
    copy_bytes(staged.raw_data(), staged.device(), src.raw_data(), src.device(), staged.nbytes());
    copy(dst, staged);
  }
}

void copy_rows(const Device& d, void* dst, int64_t dst_pitch, const void* src, int64_t src_pitch, int64_t rows,
               int64_t row_bytes) {
  AAFGAN_TWIN(d, copy_rows, dst, dst_pitch, src, src_pitch, rows, row_bytes);
}

void expand_dim(const Tensor& g, Tensor& gx, int64_t outer, int64_t size, int64_t inner) {
  AAFGAN_TYPED(g, AAFGAN_TWIN(g.device(), expand_dim<T>, g.data<T>(), gx.data<T>(), outer, size, inner));
}

// --- pointwise -------------------------------------------------------------------------------

void unary_forward(UnaryOp op, const Tensor& x, Tensor& y, double a, double b) {
  AAFGAN_TYPED(x, AAFGAN_TWIN(x.device(), unary_forward<T>, op, x.data<T>(), y.data<T>(), x.numel(), a, b));
}

void unary_backward(UnaryOp op, const Tensor& saved, const Tensor& g, Tensor& gx, double a, double b) {
  AAFGAN_TYPED(saved, AAFGAN_TWIN(saved.device(), unary_backward<T>, op, saved.data<T>(), g.data<T>(), gx.data<T>(),
                                  saved.numel(), a, b));
}

// --- reduce ----------------------------------------------------------------------------------

void sum_all(const Tensor& x, Tensor& out) {
  AAFGAN_TYPED(x, on(
                      x.device(), [&] { cpu::sum_all<T>(x.data<T>(), out.data<T>(), x.numel()); },
                      [&](void* s) {
                        Buffer ws(x.device(), cuda::sum_all_workspace_bytes(x.numel()));
                        cuda::sum_all<T>(x.data<T>(), out.data<T>(), x.numel(), ws.get(), ws.bytes(), s);
                      }));
}

void sum_dim(const Tensor& x, Tensor& out, int64_t outer, int64_t size, int64_t inner) {
  AAFGAN_TYPED(x, on(
                      x.device(), [&] { cpu::sum_dim<T>(x.data<T>(), out.data<T>(), outer, size, inner); },
                      [&](void* s) {
                        Buffer ws(x.device(), cuda::sum_dim_workspace_bytes(outer, size, inner));
                        cuda::sum_dim<T>(x.data<T>(), out.data<T>(), outer, size, inner, ws.get(), ws.bytes(), s);
                      }));
}

void sum_to(const Tensor& g, Tensor& out) {
  const auto gs = g.shape().vec(), ts = out.shape().vec();
  const int gn = g.ndim(), tn = out.ndim();
  AAFGAN_TYPED(g, on(
                      g.device(), [&] { cpu::sum_to<T>(g.data<T>(), out.data<T>(), gn, gs.data(), tn, ts.data()); },
                      [&](void* s) {
                        Buffer ws(g.device(), cuda::sum_to_workspace_bytes(gn, gs.data(), tn, ts.data()));
                        cuda::sum_to<T>(g.data<T>(), out.data<T>(), gn, gs.data(), tn, ts.data(), ws.get(), ws.bytes(),
                                        s);
                      }));
}

// --- loss ------------------------------------------------------------------------------------

namespace {
constexpr uint32_t kAllValid = std::numeric_limits<uint32_t>::max();
}  // namespace

void bce_forward(const Tensor& p, const Tensor& target, Tensor& loss) {
  const int64_t n = p.numel();
  AAFGAN_TYPED(p, on(
                      p.device(),
                      [&] {
                        uint32_t first_invalid = kAllValid;
                        cpu::bce_forward<T>(p.data<T>(), target.data<T>(), loss.data<T>(), n, &first_invalid);
                        if (first_invalid != kAllValid)
                          bad_bce_prediction(static_cast<double>(p.data<T>()[first_invalid]), first_invalid, "");
                      },
                      [&](void* s) {
                        Buffer ws(p.device(), cuda::loss_workspace_bytes(n));
                        cuda::bce_forward<T>(p.data<T>(), target.data<T>(), loss.data<T>(), n, nullptr, ws.get(),
                                             ws.bytes(), s);
                      }));
}

void bce_backward(const Tensor& p, const Tensor& target, const Tensor& gloss, Tensor& gp, Tensor& gt) {
  AAFGAN_TYPED(p, AAFGAN_TWIN(p.device(), bce_backward<T>, p.data<T>(), target.data<T>(), gloss.data<T>(), ptr<T>(gp),
                              ptr<T>(gt), p.numel()));
}

void log_softmax_forward(const Tensor& x, Tensor& y) {
  AAFGAN_TYPED(x, AAFGAN_TWIN(x.device(), log_softmax_forward<T>, x.data<T>(), y.data<T>(), x.size(0), x.size(1)));
}

void log_softmax_backward(const Tensor& y, const Tensor& g, Tensor& gx) {
  AAFGAN_TYPED(y, AAFGAN_TWIN(y.device(), log_softmax_backward<T>, y.data<T>(), g.data<T>(), gx.data<T>(), y.size(0),
                              y.size(1)));
}

void nll_forward(const Tensor& logp, const Tensor& labels, Tensor& loss) {
  const int64_t rows = logp.size(0), cols = logp.size(1);
  AAFGAN_TYPED(logp, on(
                         logp.device(),
                         [&] {
                           uint32_t bad = kAllValid;
                           cpu::nll_forward<T>(logp.data<T>(), labels.data<T>(), loss.data<T>(), rows, cols, &bad);
                           if (bad != kAllValid)
                             bad_nll_label(static_cast<double>(labels.data<T>()[bad]), bad, cols, "");
                         },
                         [&](void* s) {
                           Buffer ws(logp.device(), cuda::loss_workspace_bytes(rows));
                           cuda::nll_forward<T>(logp.data<T>(), labels.data<T>(), loss.data<T>(), rows, cols, nullptr,
                                                ws.get(), ws.bytes(), s);
                         }));
}

void nll_backward(const Tensor& labels, const Tensor& gloss, Tensor& gx) {
  AAFGAN_TYPED(gx, AAFGAN_TWIN(gx.device(), nll_backward<T>, labels.data<T>(), gloss.data<T>(), gx.data<T>(),
                               gx.size(0), gx.size(1)));
}

// --- pool ------------------------------------------------------------------------------------

void max_pool2d_forward(const Tensor& x, Tensor& y, Buffer* argmax, int kernel, int stride, int padding) {
  int32_t* am = argmax ? argmax->as<int32_t>() : nullptr;
  AAFGAN_TYPED(x, AAFGAN_TWIN(x.device(), max_pool2d_forward<T>, x.data<T>(), y.data<T>(), am, x.size(0) * x.size(1),
                              x.size(2), x.size(3), kernel, stride, padding));
}

void max_pool2d_backward(const Tensor& gy, const Buffer& argmax, Tensor& gx, int kernel, int stride, int padding) {
  AAFGAN_TYPED(gy, AAFGAN_TWIN(gy.device(), max_pool2d_backward<T>, gy.data<T>(), argmax.as<int32_t>(), gx.data<T>(),
                               gx.size(0) * gx.size(1), gx.size(2), gx.size(3), kernel, stride, padding));
}

// --- image ops -------------------------------------------------------------------------------

void avg_pool2d_forward(const Tensor& x, Tensor& y, int kernel, int stride, int padding, bool count_include_pad) {
  AAFGAN_TYPED(x, AAFGAN_TWIN(x.device(), avg_pool2d_forward<T>, x.data<T>(), y.data<T>(), x.size(0) * x.size(1),
                              x.size(2), x.size(3), kernel, stride, padding, count_include_pad));
}

void avg_pool2d_backward(const Tensor& gy, Tensor& gx, int kernel, int stride, int padding, bool count_include_pad) {
  AAFGAN_TYPED(gy, AAFGAN_TWIN(gy.device(), avg_pool2d_backward<T>, gy.data<T>(), gx.data<T>(),
                               gx.size(0) * gx.size(1), gx.size(2), gx.size(3), kernel, stride, padding,
                               count_include_pad));
}

void global_avg_pool2d_forward(const Tensor& x, Tensor& y) {
  AAFGAN_TYPED(x, AAFGAN_TWIN(x.device(), global_avg_pool2d_forward<T>, x.data<T>(), y.data<T>(),
                              x.size(0) * x.size(1), x.size(2) * x.size(3)));
}

void global_avg_pool2d_backward(const Tensor& gy, Tensor& gx) {
  AAFGAN_TYPED(gy, AAFGAN_TWIN(gy.device(), global_avg_pool2d_backward<T>, gy.data<T>(), gx.data<T>(),
                               gx.size(0) * gx.size(1), gx.size(2) * gx.size(3)));
}

void interpolate_bilinear_forward(const Tensor& x, Tensor& y) {
  AAFGAN_TYPED(x, AAFGAN_TWIN(x.device(), interpolate_bilinear_forward<T>, x.data<T>(), y.data<T>(),
                              x.size(0) * x.size(1), x.size(2), x.size(3), y.size(2), y.size(3)));
}

void interpolate_bilinear_backward(const Tensor& gy, Tensor& gx) {
  AAFGAN_TYPED(gy, AAFGAN_TWIN(gy.device(), interpolate_bilinear_backward<T>, gy.data<T>(), gx.data<T>(),
                               gx.size(0) * gx.size(1), gx.size(2), gx.size(3), gy.size(2), gy.size(3)));
}

// --- random ----------------------------------------------------------------------------------

// A CPU generator is never captured into a CUDA graph, so its draws have no device base.
#define AAFGAN_DRAW(device, fn, before, after)                                                  \
  on((device),                                                                                  \
     [&] {                                                                                      \
       AAFGAN_CHECK(offset_base == nullptr, #fn ": a device counter base for a host tensor");   \
       cpu::fn(before, offset, after);                                                          \
     },                                                                                         \
     [&](void* stream_) { cuda::fn(before, offset, offset_base, after, stream_); })
#define AAFGAN_ARGS(...) __VA_ARGS__

void normal_fill(Tensor& t, uint64_t seed, uint64_t offset, const uint64_t* offset_base, uint32_t stream_id,
                 double mean, double std) {
  AAFGAN_TYPED(t, AAFGAN_DRAW(t.device(), normal_fill<T>, AAFGAN_ARGS(t.data<T>(), t.numel(), seed),
                              AAFGAN_ARGS(stream_id, mean, std)));
}

void uniform_fill(Tensor& t, uint64_t seed, uint64_t offset, const uint64_t* offset_base, uint32_t stream_id,
                  double low, double high) {
  AAFGAN_TYPED(t, AAFGAN_DRAW(t.device(), uniform_fill<T>, AAFGAN_ARGS(t.data<T>(), t.numel(), seed),
                              AAFGAN_ARGS(stream_id, low, high)));
}

void dropout_forward(const Tensor& x, Tensor& y, Tensor& mask, double keep_scale, uint64_t seed, uint64_t offset,
                     const uint64_t* offset_base, uint32_t stream_id, uint32_t threshold) {
  AAFGAN_TYPED(x, AAFGAN_DRAW(x.device(), dropout_forward<T>,
                              AAFGAN_ARGS(x.numel(), x.data<T>(), y.data<T>(), mask.data<T>(),
                                          static_cast<T>(keep_scale), seed),
                              AAFGAN_ARGS(stream_id, threshold)));
}

#undef AAFGAN_ARGS
#undef AAFGAN_DRAW

// --- batchnorm -------------------------------------------------------------------------------

#define AAFGAN_CUDNN_TWIN(device, fn, ...) \
  on_cudnn((device), [&] { cpu::fn(__VA_ARGS__); }, [&] { cuda::fn(__VA_ARGS__); })

void batch_norm_forward(const Tensor& x, Tensor& y, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                        Tensor& running_var, bool training, double momentum, double eps, Tensor& save_mean,
                        Tensor& save_invstd) {
  const int64_t n = x.size(0), c = x.size(1), s = x.ndim() == 4 ? x.size(2) * x.size(3) : 1;
  AAFGAN_TYPED(x, if (training) AAFGAN_CUDNN_TWIN(x.device(), batch_norm_forward_training<T>, n, c, s, x.data<T>(),
                                                  y.data<T>(), ptr<T>(weight), ptr<T>(bias), ptr<T>(running_mean),
                                                  ptr<T>(running_var), momentum, eps, save_mean.data<T>(),
                                                  save_invstd.data<T>());
               else AAFGAN_CUDNN_TWIN(x.device(), batch_norm_forward_inference<T>, n, c, s, x.data<T>(), y.data<T>(),
                                      ptr<T>(weight), ptr<T>(bias), running_mean.data<T>(), running_var.data<T>(),
                                      eps, save_mean.data<T>(), save_invstd.data<T>()));
}

void batch_norm_backward(const Tensor& x, const Tensor& gy, const Tensor& weight, const Tensor& save_mean,
                         const Tensor& save_invstd, double eps, bool training, Tensor& gx, Tensor& gweight,
                         Tensor& gbias) {
  const int64_t n = x.size(0), c = x.size(1), s = x.ndim() == 4 ? x.size(2) * x.size(3) : 1;
  AAFGAN_TYPED(x, AAFGAN_CUDNN_TWIN(x.device(), batch_norm_backward<T>, n, c, s, x.data<T>(), gy.data<T>(),
                                    ptr<T>(weight), save_mean.data<T>(), save_invstd.data<T>(), eps, training,
                                    ptr<T>(gx), ptr<T>(gweight), ptr<T>(gbias), kernels::WriteMode::overwrite));
}

// --- conv ------------------------------------------------------------------------------------

namespace {
constexpr kernels::WriteMode kOverwrite = kernels::WriteMode::overwrite;
}  // namespace

void conv2d_forward(const ConvShape& s, const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y) {
  AAFGAN_TYPED(x, AAFGAN_CUDNN_TWIN(x.device(), conv2d_forward<T>, s, x.data<T>(), weight.data<T>(), ptr<T>(bias),
                                    y.data<T>(), kOverwrite));
}

void conv2d_backward_data(const ConvShape& s, const Tensor& gy, const Tensor& weight, Tensor& gx) {
  AAFGAN_TYPED(gy, AAFGAN_CUDNN_TWIN(gy.device(), conv2d_backward_data<T>, s, gy.data<T>(), weight.data<T>(),
                                     gx.data<T>(), kOverwrite));
}

void conv2d_backward_filter(const ConvShape& s, const Tensor& x, const Tensor& gy, Tensor& gweight) {
  AAFGAN_TYPED(gy, AAFGAN_CUDNN_TWIN(gy.device(), conv2d_backward_filter<T>, s, x.data<T>(), gy.data<T>(),
                                     gweight.data<T>(), kOverwrite));
}

void conv2d_backward_bias(const ConvShape& s, const Tensor& gy, Tensor& gbias) {
  AAFGAN_TYPED(gy, AAFGAN_CUDNN_TWIN(gy.device(), conv2d_backward_bias<T>, s, gy.data<T>(), gbias.data<T>(),
                                     kOverwrite));
}

void conv_transpose2d_forward(const ConvTransposeShape& s, const Tensor& x, const Tensor& weight, const Tensor& bias,
                              Tensor& y) {
  AAFGAN_TYPED(x, AAFGAN_CUDNN_TWIN(x.device(), conv_transpose2d_forward<T>, s, x.data<T>(), weight.data<T>(),
                                    ptr<T>(bias), y.data<T>(), kOverwrite));
}

void conv_transpose2d_backward_data(const ConvTransposeShape& s, const Tensor& gy, const Tensor& weight, Tensor& gx) {
  AAFGAN_TYPED(gy, AAFGAN_CUDNN_TWIN(gy.device(), conv_transpose2d_backward_data<T>, s, gy.data<T>(),
                                     weight.data<T>(), gx.data<T>(), kOverwrite));
}

void conv_transpose2d_backward_filter(const ConvTransposeShape& s, const Tensor& x, const Tensor& gy,
                                      Tensor& gweight) {
  AAFGAN_TYPED(gy, AAFGAN_CUDNN_TWIN(gy.device(), conv_transpose2d_backward_filter<T>, s, x.data<T>(), gy.data<T>(),
                                     gweight.data<T>(), kOverwrite));
}

void conv_transpose2d_backward_bias(const ConvTransposeShape& s, const Tensor& gy, Tensor& gbias) {
  AAFGAN_TYPED(gy, AAFGAN_CUDNN_TWIN(gy.device(), conv_transpose2d_backward_bias<T>, s, gy.data<T>(),
                                     gbias.data<T>(), kOverwrite));
}

// --- gemm ------------------------------------------------------------------------------------

void gemm(bool trans_a, bool trans_b, double alpha, const Tensor& a, const Tensor& b, double beta, Tensor& c) {
  const int64_t m = c.size(0), n = c.size(1), k = trans_a ? a.size(0) : a.size(1);
  const int64_t lda = a.size(1), ldb = b.size(1), ldc = n;
  // cuBLAS runs on the context stream of the current device, like cuDNN.
  AAFGAN_TYPED(c, on(
                      c.device(),
                      [&] {
                        cpu::gemm<T>(trans_a, trans_b, m, n, k, T(alpha), a.data<T>(), lda, b.data<T>(), ldb, T(beta),
                                     c.data<T>(), ldc);
                      },
                      [&](void*) {
                        cuda::gemm<T>(trans_a, trans_b, m, n, k, T(alpha), a.data<T>(), lda, b.data<T>(), ldb, T(beta),
                                      c.data<T>(), ldc);
                      }));
}

// --- optim -----------------------------------------------------------------------------------

template <typename T>
void adam_step_multi(const Device& d, const std::vector<kernels::AdamTensor<T>>& tensors) {
  if (tensors.empty()) return;
  const int64_t count = static_cast<int64_t>(tensors.size());
  AAFGAN_TWIN(d, adam_step_multi<T>, tensors.data(), count);
}

template <typename T>
void sgd_step(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer, const kernels::SgdCoeffs<T>& c) {
  AAFGAN_TWIN(param.device(), sgd_step<T>, param.numel(), param.data<T>(), grad.data<T>(), ptr<T>(momentum_buffer),
              c);
}

template <typename T>
void adadelta_step(const Tensor& param, const Tensor& grad, const Tensor& square_avg, const Tensor& acc_delta,
                   const kernels::AdadeltaCoeffs<T>& c) {
  AAFGAN_TWIN(param.device(), adadelta_step<T>, param.numel(), param.data<T>(), grad.data<T>(), square_avg.data<T>(),
              acc_delta.data<T>(), c);
}

template void adam_step_multi<float>(const Device&, const std::vector<kernels::AdamTensor<float>>&);
template void adam_step_multi<double>(const Device&, const std::vector<kernels::AdamTensor<double>>&);
template void sgd_step<float>(const Tensor&, const Tensor&, const Tensor&, const kernels::SgdCoeffs<float>&);
template void sgd_step<double>(const Tensor&, const Tensor&, const Tensor&, const kernels::SgdCoeffs<double>&);
template void adadelta_step<float>(const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                   const kernels::AdadeltaCoeffs<float>&);
template void adadelta_step<double>(const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                    const kernels::AdadeltaCoeffs<double>&);

// --- activations -----------------------------------------------------------------------------

namespace {

// The kernels take the parameter arrays as a list of pointers; null when there are none
// (Mish), as the CUDA kernels expect.
template <typename P, typename Ts>
std::vector<P*> pointers(Ts& tensors) {
  std::vector<P*> out;
  for (auto& t : tensors) out.push_back(t.defined() ? t.template data<std::remove_const_t<P>>() : nullptr);
  return out;
}

template <typename P>
P* const* list_or_null(const std::vector<P*>& v) {
  return v.empty() ? nullptr : v.data();
}

}  // namespace

void act_forward(Act act, Range range, const Tensor& x, Tensor& y, const std::vector<Tensor>& params, int64_t P,
                 int64_t inner) {
  AAFGAN_TYPED(x, const std::vector<const T*> pp = pointers<const T>(params);
               AAFGAN_TWIN(x.device(), act_forward<T>, act, range, x.data<T>(), y.data<T>(), x.numel(),
                           list_or_null(pp), P, inner));
}

void act_backward(Act act, Range range, const Tensor& x, const Tensor& gy, Tensor& gx,
                  const std::vector<Tensor>& params, std::vector<Tensor>& gparams, int64_t P, int64_t inner) {
  AAFGAN_TYPED(
      x, const std::vector<const T*> pp = pointers<const T>(params); const std::vector<T*> gp = pointers<T>(gparams);
      on(
          x.device(),
          [&] {
            cpu::act_backward<T>(act, range, x.data<T>(), gy.data<T>(), ptr<T>(gx), list_or_null(gp), x.numel(),
                                 list_or_null(pp), P, inner);
          },
          [&](void* s) {
            // The parameter-gradient partial sums live in scratch used on this stream only.
            Buffer ws(x.device(), cuda::act_backward_workspace_bytes(act, x.numel(), P, inner, sizeof(T)));
            cuda::act_backward<T>(act, range, x.data<T>(), gy.data<T>(), ptr<T>(gx), list_or_null(gp), x.numel(),
                                  list_or_null(pp), P, inner, ws.get(), ws.bytes(), s);
          }));
}

// --- training --------------------------------------------------------------------------------

void step_stats(const Tensor& d_loss, const Tensor& g_loss, const Tensor& p_real, const Tensor& p_fake,
                Tensor& stats) {
  AAFGAN_TYPED(p_real, AAFGAN_TWIN(p_real.device(), step_stats<T>, d_loss.data<T>(), g_loss.data<T>(),
                                   p_real.data<T>(), p_fake.data<T>(), p_real.numel(), stats.data<double>()));
}

}  // namespace aafgan::backend
