// The per-device contexts: a non-blocking stream, a cuBLAS handle (with its workspace from the
// caching allocator) and a cuDNN handle bound to it, each made on first use and kept
// (deliberately leaked) for the life of the process.
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kernels/cuda/conv.h"
#include "kernels/cuda/device_allocator.h"
#include "kernels/cuda/device_context.h"
#include "kernels/cuda/runtime_libs_internal.h"

namespace aafgan::kernels::cuda {

namespace {

std::atomic<bool> g_allow_tf32{false};
std::atomic<bool> g_deterministic{false};
std::atomic<size_t> g_conv_workspace_limit{size_t(256) << 20};

struct Context {
  int device = 0;
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  bool cublas_tf32 = false;  // the math mode last set on `cublas`
#ifdef AAFGAN_WITH_CUDNN
  cudnnHandle_t cudnn = nullptr;
#endif
};

// Guards the context table and the lazy creation of handles.
std::mutex& context_mutex() {
  static std::mutex* m = new std::mutex();
  return *m;
}

// Indexed by device; never shrinks, never freed.
std::vector<Context*>& contexts() {
  static std::vector<Context*>* v = new std::vector<Context*>();
  return *v;
}

std::string device_str(int device) { return "device " + std::to_string(device); }

int get_current_device() {
  int dev = 0;
  detail::check_cuda(cudaGetDevice(&dev), "cudaGetDevice", "the current device: is there a usable GPU?");
  return dev;
}

// The current device's context with its stream; the caller holds the mutex.
Context& context_locked(int dev) {
  auto& table = contexts();
  if (table.size() <= static_cast<size_t>(dev)) table.resize(static_cast<size_t>(dev) + 1, nullptr);
  Context*& slot = table[static_cast<size_t>(dev)];
  if (!slot) {
    auto ctx = std::make_unique<Context>();
    ctx->device = dev;
    detail::check_cuda(cudaStreamCreateWithFlags(&ctx->stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags",
                       "the non-blocking context stream of " + device_str(dev));
    slot = ctx.release();
  }
  return *slot;
}

// cuBLAS's workspace, the size NVIDIA's cuBLAS documentation recommends: 32 MiB from Hopper
// (compute capability 9.0) on, 4 MiB before. Given to cuBLAS from the caching allocator, so
// that cuBLAS allocates nothing itself (its own pool would be invisible to allocator_stats and
// to the out-of-memory trim, and would allocate inside a CUDA graph capture); kept for the
// life of the process with its handle.
size_t cublas_workspace_bytes(int dev) {
  int major = 0;
  detail::check_cuda(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev), "cudaDeviceGetAttribute",
                     "compute capability of " + device_str(dev));
  return (major >= 9 ? size_t(32) : size_t(4)) << 20;
}

}  // namespace

namespace detail {

cudaStream_t stream() {
  const int dev = get_current_device();
  std::lock_guard<std::mutex> lock(context_mutex());
  return context_locked(dev).stream;
}

cublasHandle_t cublas() {
  const int dev = get_current_device();
  std::lock_guard<std::mutex> lock(context_mutex());
  Context& ctx = context_locked(dev);
  if (!ctx.cublas) {
    cublasHandle_t h = nullptr;
    check_cublas(cublasCreate(&h), "cublasCreate", device_str(dev));
    void* workspace = nullptr;
    try {
      check_cublas(cublasSetStream(h, ctx.stream), "cublasSetStream", "context stream of " + device_str(dev));
      // After cublasSetStream, which puts the handle back on cuBLAS's own workspace pool.
      // Allocating here under the context mutex is fine: the allocator never takes it.
      const size_t bytes = cublas_workspace_bytes(dev);
      workspace = cached_alloc(bytes, ctx.stream);
      check_cublas(cublasSetWorkspace(h, workspace, bytes), "cublasSetWorkspace",
                   detail::format_bytes(bytes) + " from the caching allocator on " + device_str(dev));
      check_cublas(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH), "cublasSetMathMode", "CUBLAS_DEFAULT_MATH");
    } catch (...) {
      cublasDestroy(h);
      if (workspace) {
        try {
          cached_free(workspace);  // no work has used it yet
        } catch (...) {
        }
      }
      throw;
    }
    ctx.cublas = h;
    ctx.cublas_tf32 = false;
  }
  const bool tf32 = g_allow_tf32.load();
  if (tf32 != ctx.cublas_tf32) {
    check_cublas(cublasSetMathMode(ctx.cublas, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH),
                 "cublasSetMathMode", tf32 ? "CUBLAS_TF32_TENSOR_OP_MATH" : "CUBLAS_DEFAULT_MATH");
    ctx.cublas_tf32 = tf32;
  }
  return ctx.cublas;
}

#ifdef AAFGAN_WITH_CUDNN
cudnnHandle_t cudnn() {
  const int dev = get_current_device();
  std::lock_guard<std::mutex> lock(context_mutex());
  Context& ctx = context_locked(dev);
  if (!ctx.cudnn) {
    cudnnHandle_t h = nullptr;
    check_cudnn(cudnnCreate(&h), "cudnnCreate", device_str(dev));
    const cudnnStatus_t st = cudnnSetStream(h, ctx.stream);
    if (st != CUDNN_STATUS_SUCCESS) cudnnDestroy(h);
    check_cudnn(st, "cudnnSetStream", "context stream of " + device_str(dev));
    ctx.cudnn = h;
  }
  return ctx.cudnn;
}
#endif

}  // namespace detail

void set_device(int index) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw std::runtime_error("set_device(" + std::to_string(index) + "): no usable CUDA device: " +
                             cudaGetErrorString(err));
  }
  if (index < 0 || index >= count)
    throw std::runtime_error("set_device(" + std::to_string(index) + "): there " +
                             (count == 1 ? std::string("is 1 CUDA device (index 0)")
                                         : "are " + std::to_string(count) + " CUDA devices (indices 0 to " +
                                               std::to_string(count - 1) + ")"));
  detail::check_cuda(cudaSetDevice(index), "cudaSetDevice", device_str(index));
}

int current_device() { return get_current_device(); }

void* context_stream() { return static_cast<void*>(detail::stream()); }

void synchronize() {
  const cudaStream_t s = detail::stream();
  detail::check_cuda(cudaStreamSynchronize(s), "cudaStreamSynchronize",
                     "context stream of " + device_str(get_current_device()));
}

void set_allow_tf32(bool on) { g_allow_tf32.store(on); }
bool allow_tf32() { return g_allow_tf32.load(); }

void set_deterministic(bool on) { g_deterministic.store(on); }
bool deterministic() { return g_deterministic.load(); }

bool has_cudnn() {
#ifdef AAFGAN_WITH_CUDNN
  return true;
#else
  return false;
#endif
}

int cudnn_version() {
#ifdef AAFGAN_WITH_CUDNN
  return static_cast<int>(cudnnGetVersion());
#else
  return 0;
#endif
}

// Declared in cudnn_conv.h; a setting, so it lives here and also exists without cuDNN.
size_t conv_workspace_limit() { return g_conv_workspace_limit.load(); }
void set_conv_workspace_limit(size_t bytes) { g_conv_workspace_limit.store(bytes); }

}  // namespace aafgan::kernels::cuda
