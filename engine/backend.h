#pragma once
// The one seam between the engine and the numeric kernels (dlib's tensor_tools routing): one
// function per kernel, which picks kernels::cpu::f or its twin kernels::cuda::f by the device
// of the tensors it is given. This header and backend.cpp are the only engine files that know
// kernels/cuda exists; backend.cpp also owns the CUDA streams, the workspaces and the
// built-with-CUDA decision (a build without it fails here, in one place, with "built without
// CUDA"). Engine ops call these functions and never ask which device they run on.
//
// defines: (the kernels' files in brackets, under kernels/cpu and kernels/cuda alike)
//   devices     device_count, device_name, make_current, stream, synchronize, set_allow_tf32,
//               set_deterministic, allocate/deallocate, Buffer, pinned_alloc/free, copy_bytes
//   elementwise binary, affine, rdiv, fill, fill_from, copy, copy_rows, expand_dim  [elementwise]
//   pointwise   unary_forward, unary_backward                                      [pointwise]
//   reduce      sum_all, sum_dim, sum_to                                           [reduce]
//   loss        bce_*, log_softmax_*, nll_*                                        [loss]
//   pool        max_pool2d_*                                                       [pool]
//   image ops   avg_pool2d_*, global_avg_pool2d_*, interpolate_bilinear_*          [image_ops]
//   random      normal_fill, uniform_fill, dropout_forward                         [random]
//   batchnorm   batch_norm_forward, batch_norm_backward                            [batchnorm]
//   conv        conv2d_*, conv_transpose2d_*                                       [conv]
//   gemm        gemm                                                               [gemm]
//   optim       adam_step_multi, sgd_step, adadelta_step                           [optim]
//   activations act_forward, act_backward                                          [activations]
//   training    step_stats                                                         [step_stats]
//
// Every tensor passed to one call is on the same device (the engine op checked it), contiguous,
// and of the dtype the call names; outputs are allocated by the caller. CUDA work is enqueued
// on the device's one stream and never waits, except where a function says it copies to the host.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/tensor.h"
#include "kernels/math/activations.h"
#include "kernels/math/conv.h"
#include "kernels/math/elementwise.h"
#include "kernels/math/optim.h"
#include "kernels/math/pointwise.h"

namespace aafgan::backend {

using kernels::Act;
using kernels::BinaryOp;
using kernels::ConvShape;
using kernels::ConvTransposeShape;
using kernels::Range;
using kernels::UnaryOp;

// --- devices ---------------------------------------------------------------------------------

struct DeviceCount {
  int count = 0;
  std::string reason;  // why count is 0 ("built without CUDA", the driver's message, ...)
};
// Never throws; computed on every call (engine/device.cpp caches it).
DeviceCount device_count();
// "NVIDIA H200" for a CUDA device, "cpu" for the host.
std::string device_name(const Device& d);
// A CUDA device's compute capability as major·10 + minor (70 for a V100, 90 for an H100); 0
// for the host.
int compute_capability(const Device& d);
// Makes CUDA device d current for this thread (a no-op for the CPU). Every other function here
// that needs a device current switches to it only for its own duration and restores the
// thread's previous device before it returns.
void make_current(const Device& d);
// d's stream (a cudaStream_t as void*; copies may be enqueued on it whatever device is
// current); nullptr for the CPU.
void* stream(const Device& d);
// Waits for everything enqueued on d (a no-op for the CPU), then throws the first invalid loss
// input d's kernels recorded since the last wait, if any (see bce_forward, nll_forward).
void synchronize(const Device& d);
// Process-wide GPU numerics: TF32 tensor cores for f32 GEMMs/convolutions, deterministic
// convolution algorithms (no-ops in a build without CUDA).
void set_allow_tf32(bool on);
void set_deterministic(bool on);

// Raw bytes on a device: the host allocator on the CPU, the caching allocator on a GPU (a block
// freed here may be reused at once by later work on the same stream). 0 bytes on a GPU is nullptr.
void* allocate(const Device& d, size_t bytes);
void deallocate(const Device& d, void* p, size_t bytes) noexcept;  // bytes as allocated

// allocate/deallocate as an owner, for workspaces and scratch (e.g. max-pool argmax).
class Buffer {
 public:
  Buffer(const Device& d, size_t bytes);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  void* get() const { return ptr_; }
  template <typename T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }
  size_t bytes() const { return bytes_; }
  const Device& device() const { return device_; }

 private:
  Device device_;
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// Page-locked host memory for asynchronous uploads (plain host memory without CUDA).
void* pinned_alloc(size_t bytes);
void pinned_free(void* p) noexcept;
// `bytes` from src on `from` to dst on `to` (any pair of devices; two GPUs must be the same
// one). Enqueued on the GPU's stream; a copy to the host waits for it, a copy from pageable
// host memory returns once the source is staged. A copy to the host also throws, after its
// wait, what synchronize(from) would.
void copy_bytes(void* dst, const Device& to, const void* src, const Device& from, size_t bytes);
// Waits for the work of a stream returned by stream().
void stream_synchronize(void* s);

// CUDA graphs of d's stream (engine/cuda_graph.h); the CPU never captures (capturing: false,
// the others fail naming the device). graph_end_capture returns the instantiated graph, which
// keeps the caching allocator from giving back the segments its addresses lie in until
// graph_destroy (kernels/cuda/graph.h); a capture that fails or is aborted holds nothing.
bool capturing(const Device& d);
void graph_begin_capture(const Device& d);
void* graph_end_capture(const Device& d);
void graph_abort_capture(const Device& d) noexcept;
void graph_launch(const Device& d, void* graph);
void graph_destroy(void* graph) noexcept;

// Events on d's stream (nullptr and no-ops on the CPU, whose work is done when enqueued).
void* event_record_new(const Device& d);          // a new event recorded on d's stream now
void event_record(const Device& d, void* event);  // records it again
void event_synchronize(void* event);
void event_destroy(void* event) noexcept;

// --- elementwise -----------------------------------------------------------------------------

// out = a op b with broadcasting (out has the broadcast shape; it may be a or b when that
// operand has out's shape).
void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out);
void affine(const Tensor& x, Tensor& y, double scale, double shift);
void rdiv(double s, const Tensor& x, Tensor& y);
void fill(Tensor& t, double value);
// t = the single element of `value`, read where it lives (no host round trip).
void fill_from(Tensor& t, const Tensor& value);
// dst = src, same shape, any devices and dtypes.
void copy(Tensor& dst, const Tensor& src);
// `rows` rows of `row_bytes` bytes between pitched buffers on d.
void copy_rows(const Device& d, void* dst, int64_t dst_pitch, const void* src, int64_t src_pitch, int64_t rows,
               int64_t row_bytes);
// gx [outer, size, inner] = g [outer, inner] repeated along the middle dimension.
void expand_dim(const Tensor& g, Tensor& gx, int64_t outer, int64_t size, int64_t inner);

// --- pointwise -------------------------------------------------------------------------------

void unary_forward(UnaryOp op, const Tensor& x, Tensor& y, double a = 0.0, double b = 0.0);
// `saved` is x or y, as kernels::unary_backward_uses_output(op) says.
void unary_backward(UnaryOp op, const Tensor& saved, const Tensor& g, Tensor& gx, double a = 0.0, double b = 0.0);

// --- reduce ----------------------------------------------------------------------------------

void sum_all(const Tensor& x, Tensor& out);
void sum_dim(const Tensor& x, Tensor& out, int64_t outer, int64_t size, int64_t inner);
// out = g summed over the dimensions out's shape broadcasts along.
void sum_to(const Tensor& g, Tensor& out);

// --- loss ------------------------------------------------------------------------------------

// loss = −mean(t·log p + (1 − t)·log(1 − p)), logs clamped at −100. A prediction outside [0, 1]
// is an error naming it and its index: on the CPU at once; on a GPU (whose loss is then NaN) at
// the next copy to the host or synchronize of that device, from the device's error record.
void bce_forward(const Tensor& p, const Tensor& target, Tensor& loss);
// gp and gt may be undefined (not wanted); gloss is the upstream one-element gradient.
void bce_backward(const Tensor& p, const Tensor& target, const Tensor& gloss, Tensor& gp, Tensor& gt);
void log_softmax_forward(const Tensor& x, Tensor& y);
void log_softmax_backward(const Tensor& y, const Tensor& g, Tensor& gx);
// labels [N] hold class indices in logp's dtype. A bad label is an error naming it and its row:
// on the CPU at once, on a GPU at the next wait for the device (as for bce_forward).
void nll_forward(const Tensor& logp, const Tensor& labels, Tensor& loss);
void nll_backward(const Tensor& labels, const Tensor& gloss, Tensor& gx);

// --- pool ------------------------------------------------------------------------------------

// x [N, C, H, W] → y [N, C, OH, OW]; argmax (may be null: no backward) holds y.numel() int32.
void max_pool2d_forward(const Tensor& x, Tensor& y, Buffer* argmax, int kernel, int stride, int padding);
void max_pool2d_backward(const Tensor& gy, const Buffer& argmax, Tensor& gx, int kernel, int stride, int padding);

// --- image ops -------------------------------------------------------------------------------

void avg_pool2d_forward(const Tensor& x, Tensor& y, int kernel, int stride, int padding, bool count_include_pad);
void avg_pool2d_backward(const Tensor& gy, Tensor& gx, int kernel, int stride, int padding, bool count_include_pad);
void global_avg_pool2d_forward(const Tensor& x, Tensor& y);
void global_avg_pool2d_backward(const Tensor& gy, Tensor& gx);
void interpolate_bilinear_forward(const Tensor& x, Tensor& y);
void interpolate_bilinear_backward(const Tensor& gy, Tensor& gx);

// --- random ----------------------------------------------------------------------------------

// Element i of t from Philox counter offset + i of (seed, stream_id): the same on every device.
// offset_base (GPU only; may be null) is a device word the kernel adds to offset when it runs:
// how a generator captured into a CUDA graph gets a fresh position at every replay.
void normal_fill(Tensor& t, uint64_t seed, uint64_t offset, const uint64_t* offset_base, uint32_t stream_id,
                 double mean, double std);
void uniform_fill(Tensor& t, uint64_t seed, uint64_t offset, const uint64_t* offset_base, uint32_t stream_id,
                  double low, double high);
void dropout_forward(const Tensor& x, Tensor& y, Tensor& mask, double keep_scale, uint64_t seed, uint64_t offset,
                     const uint64_t* offset_base, uint32_t stream_id, uint32_t threshold);

// --- batchnorm -------------------------------------------------------------------------------

// x [N, C] or [N, C, H, W]. weight/bias and (in training) the running statistics may be
// undefined. save_mean and save_invstd ([C], x's dtype) receive what the backward needs.
void batch_norm_forward(const Tensor& x, Tensor& y, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                        Tensor& running_var, bool training, double momentum, double eps, Tensor& save_mean,
                        Tensor& save_invstd);
// gx, gweight, gbias may be undefined (not wanted).
void batch_norm_backward(const Tensor& x, const Tensor& gy, const Tensor& weight, const Tensor& save_mean,
                         const Tensor& save_invstd, double eps, bool training, Tensor& gx, Tensor& gweight,
                         Tensor& gbias);

// --- conv ------------------------------------------------------------------------------------

// bias may be undefined. Outputs are overwritten.
void conv2d_forward(const ConvShape& s, const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y);
void conv2d_backward_data(const ConvShape& s, const Tensor& gy, const Tensor& weight, Tensor& gx);
void conv2d_backward_filter(const ConvShape& s, const Tensor& x, const Tensor& gy, Tensor& gweight);
void conv2d_backward_bias(const ConvShape& s, const Tensor& gy, Tensor& gbias);
void conv_transpose2d_forward(const ConvTransposeShape& s, const Tensor& x, const Tensor& weight, const Tensor& bias,
                              Tensor& y);
void conv_transpose2d_backward_data(const ConvTransposeShape& s, const Tensor& gy, const Tensor& weight, Tensor& gx);
void conv_transpose2d_backward_filter(const ConvTransposeShape& s, const Tensor& x, const Tensor& gy,
                                      Tensor& gweight);
void conv_transpose2d_backward_bias(const ConvTransposeShape& s, const Tensor& gy, Tensor& gbias);

// --- gemm ------------------------------------------------------------------------------------

// c [m, n] = alpha·op(a)·op(b) + beta·c for row-major 2-D tensors (op transposes when asked).
void gemm(bool trans_a, bool trans_b, double alpha, const Tensor& a, const Tensor& b, double beta, Tensor& c);

// --- optim -----------------------------------------------------------------------------------

// All tensors of the list live on d (one multi-tensor launch per kAdamTensorsPerLaunch on a GPU).
template <typename T>
void adam_step_multi(const Device& d, const std::vector<kernels::AdamTensor<T>>& tensors);
// momentum_buffer undefined: plain SGD.
template <typename T>
void sgd_step(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer, const kernels::SgdCoeffs<T>& c);
template <typename T>
void adadelta_step(const Tensor& param, const Tensor& grad, const Tensor& square_avg, const Tensor& acc_delta,
                   const kernels::AdadeltaCoeffs<T>& c);

// --- activations -----------------------------------------------------------------------------

// The fused adaptive activations (kernels/math/activations.h) over x viewed as [B, P, inner].
void act_forward(Act act, Range range, const Tensor& x, Tensor& y, const std::vector<Tensor>& params, int64_t P,
                 int64_t inner);
// gx and any gparams[k] may be undefined (not wanted).
void act_backward(Act act, Range range, const Tensor& x, const Tensor& gy, Tensor& gx,
                  const std::vector<Tensor>& params, std::vector<Tensor>& gparams, int64_t P, int64_t inner);

// --- training --------------------------------------------------------------------------------

// Folds one adversarial step into stats (f64 [kernels::kStepStatCount], kernels/math/step_stats.h):
// d_loss, g_loss one element each; p_real, p_fake [n] in their dtype. No host copy.
void step_stats(const Tensor& d_loss, const Tensor& g_loss, const Tensor& p_real, const Tensor& p_fake,
                Tensor& stats);

}  // namespace aafgan::backend
