// Built instead of the op kernels (elementwise, pointwise, reduce, random, loss, pool, optim .cu)
// when no CUDA toolkit was found: every entry point exists, so callers need no #ifdefs, and
// throws if it is reached anyway (device_count() reports no GPU first, see no_cuda.cpp).
#include <stdexcept>

#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/loss.h"
#include "kernels/cuda/optim.h"
#include "kernels/cuda/pointwise.h"
#include "kernels/cuda/pool.h"
#include "kernels/cuda/random.h"
#include "kernels/cuda/reduce.h"

namespace aafgan::kernels::cuda {

namespace {

[[noreturn]] void no_backend() { throw std::runtime_error("this build has no CUDA backend"); }

}  // namespace

// --- elementwise.h ---
const char* binary_op_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::add: return "add";
    case BinaryOp::sub: return "sub";
    case BinaryOp::mul: return "mul";
    case BinaryOp::div: return "div";
  }
  return "?";
}
template <typename T>
void binary_cuda(BinaryOp, const T*, const T*, T*, const BroadcastIndex&, void*) {
  no_backend();
}
template <typename T>
void affine_cuda(const T*, T*, int64_t, double, double, void*) {
  no_backend();
}
template <typename T>
void rdiv_cuda(double, const T*, T*, int64_t, void*) {
  no_backend();
}
template <typename T>
void fill_cuda(T*, int64_t, double, void*) {
  no_backend();
}
template <typename T>
void fill_from_device_cuda(T*, int64_t, const T*, void*) {
  no_backend();
}
template <typename S, typename D>
void convert_cuda(const S*, D*, int64_t, void*) {
  no_backend();
}
void copy_rows_cuda(void*, int64_t, const void*, int64_t, int64_t, int64_t, void*) { no_backend(); }
template <typename T>
void expand_dim_cuda(const T*, T*, int64_t, int64_t, int64_t, void*) {
  no_backend();
}

template void binary_cuda<float>(BinaryOp, const float*, const float*, float*, const BroadcastIndex&, void*);
template void binary_cuda<double>(BinaryOp, const double*, const double*, double*, const BroadcastIndex&, void*);
template void affine_cuda<float>(const float*, float*, int64_t, double, double, void*);
template void affine_cuda<double>(const double*, double*, int64_t, double, double, void*);
template void rdiv_cuda<float>(double, const float*, float*, int64_t, void*);
template void rdiv_cuda<double>(double, const double*, double*, int64_t, void*);
template void fill_cuda<float>(float*, int64_t, double, void*);
template void fill_cuda<double>(double*, int64_t, double, void*);
template void fill_from_device_cuda<float>(float*, int64_t, const float*, void*);
template void fill_from_device_cuda<double>(double*, int64_t, const double*, void*);
template void convert_cuda<float, double>(const float*, double*, int64_t, void*);
template void convert_cuda<double, float>(const double*, float*, int64_t, void*);
template void expand_dim_cuda<float>(const float*, float*, int64_t, int64_t, int64_t, void*);
template void expand_dim_cuda<double>(const double*, double*, int64_t, int64_t, int64_t, void*);

// --- pointwise.h ---
const char* unary_op_name(UnaryOp op) {
  switch (op) {
    case UnaryOp::sqrt: return "sqrt";
    case UnaryOp::exp: return "exp";
    case UnaryOp::log: return "log";
    case UnaryOp::log1p: return "log1p";
    case UnaryOp::softplus: return "softplus";
    case UnaryOp::abs: return "abs";
    case UnaryOp::square: return "square";
    case UnaryOp::clamp: return "clamp";
    case UnaryOp::relu: return "relu";
    case UnaryOp::leaky_relu: return "leaky_relu";
    case UnaryOp::sigmoid: return "sigmoid";
    case UnaryOp::tanh: return "tanh";
  }
  return "?";
}
template <typename T>
void unary_forward_cuda(UnaryOp, const T*, T*, int64_t, double, double, void*) {
  no_backend();
}
template <typename T>
void unary_backward_cuda(UnaryOp, const T*, const T*, T*, int64_t, double, double, void*) {
  no_backend();
}

template void unary_forward_cuda<float>(UnaryOp, const float*, float*, int64_t, double, double, void*);
template void unary_forward_cuda<double>(UnaryOp, const double*, double*, int64_t, double, double, void*);
template void unary_backward_cuda<float>(UnaryOp, const float*, const float*, float*, int64_t, double, double,
                                         void*);
template void unary_backward_cuda<double>(UnaryOp, const double*, const double*, double*, int64_t, double, double,
                                          void*);

// --- reduce.h ---
size_t sum_all_workspace_bytes(int64_t) { no_backend(); }
template <typename T>
void sum_all_cuda(const T*, T*, int64_t, void*, size_t, void*) {
  no_backend();
}
size_t sum_dim_workspace_bytes(int64_t, int64_t, int64_t) { no_backend(); }
template <typename T>
void sum_dim_cuda(const T*, T*, int64_t, int64_t, int64_t, void*, size_t, void*) {
  no_backend();
}
size_t sum_to_workspace_bytes(int, const int64_t*, int, const int64_t*) { no_backend(); }
template <typename T>
void sum_to_cuda(const T*, T*, int, const int64_t*, int, const int64_t*, void*, size_t, void*) {
  no_backend();
}

template void sum_all_cuda<float>(const float*, float*, int64_t, void*, size_t, void*);
template void sum_all_cuda<double>(const double*, double*, int64_t, void*, size_t, void*);
template void sum_dim_cuda<float>(const float*, float*, int64_t, int64_t, int64_t, void*, size_t, void*);
template void sum_dim_cuda<double>(const double*, double*, int64_t, int64_t, int64_t, void*, size_t, void*);
template void sum_to_cuda<float>(const float*, float*, int, const int64_t*, int, const int64_t*, void*, size_t, void*);
template void sum_to_cuda<double>(const double*, double*, int, const int64_t*, int, const int64_t*, void*, size_t,
                                  void*);

// --- random.h ---
template <typename T>
void normal_fill_cuda(T*, int64_t, uint64_t, uint64_t, uint32_t, double, double, void*) {
  no_backend();
}
template <typename T>
void uniform_fill_cuda(T*, int64_t, uint64_t, uint64_t, uint32_t, double, double, void*) {
  no_backend();
}
template <typename T>
void dropout_forward_cuda(int64_t, const T*, T*, T*, T, uint64_t, uint64_t, uint32_t, uint32_t, void*) {
  no_backend();
}

template void normal_fill_cuda<float>(float*, int64_t, uint64_t, uint64_t, uint32_t, double, double, void*);
template void normal_fill_cuda<double>(double*, int64_t, uint64_t, uint64_t, uint32_t, double, double, void*);
template void uniform_fill_cuda<float>(float*, int64_t, uint64_t, uint64_t, uint32_t, double, double, void*);
template void uniform_fill_cuda<double>(double*, int64_t, uint64_t, uint64_t, uint32_t, double, double, void*);
template void dropout_forward_cuda<float>(int64_t, const float*, float*, float*, float, uint64_t, uint64_t, uint32_t,
                                          uint32_t, void*);
template void dropout_forward_cuda<double>(int64_t, const double*, double*, double*, double, uint64_t, uint64_t,
                                           uint32_t, uint32_t, void*);

// --- loss.h ---
size_t loss_workspace_bytes(int64_t) { no_backend(); }
template <typename T>
void bce_forward_cuda(const T*, const T*, T*, int64_t, uint32_t*, void*, size_t, void*) {
  no_backend();
}
template <typename T>
void bce_backward_cuda(const T*, const T*, const T*, T*, T*, int64_t, void*) {
  no_backend();
}
template <typename T>
void log_softmax_forward_cuda(const T*, T*, int64_t, int64_t, void*) {
  no_backend();
}
template <typename T>
void log_softmax_backward_cuda(const T*, const T*, T*, int64_t, int64_t, void*) {
  no_backend();
}
template <typename T>
void nll_forward_cuda(const T*, const T*, T*, int64_t, int64_t, uint32_t*, void*, size_t, void*) {
  no_backend();
}
template <typename T>
void nll_backward_cuda(const T*, const T*, T*, int64_t, int64_t, void*) {
  no_backend();
}

template void bce_forward_cuda<float>(const float*, const float*, float*, int64_t, uint32_t*, void*, size_t, void*);
template void bce_forward_cuda<double>(const double*, const double*, double*, int64_t, uint32_t*, void*, size_t,
                                       void*);
template void bce_backward_cuda<float>(const float*, const float*, const float*, float*, float*, int64_t, void*);
template void bce_backward_cuda<double>(const double*, const double*, const double*, double*, double*, int64_t,
                                        void*);
template void log_softmax_forward_cuda<float>(const float*, float*, int64_t, int64_t, void*);
template void log_softmax_forward_cuda<double>(const double*, double*, int64_t, int64_t, void*);
template void log_softmax_backward_cuda<float>(const float*, const float*, float*, int64_t, int64_t, void*);
template void log_softmax_backward_cuda<double>(const double*, const double*, double*, int64_t, int64_t, void*);
template void nll_forward_cuda<float>(const float*, const float*, float*, int64_t, int64_t, uint32_t*, void*, size_t,
                                      void*);
template void nll_forward_cuda<double>(const double*, const double*, double*, int64_t, int64_t, uint32_t*, void*,
                                       size_t, void*);
template void nll_backward_cuda<float>(const float*, const float*, float*, int64_t, int64_t, void*);
template void nll_backward_cuda<double>(const double*, const double*, double*, int64_t, int64_t, void*);

// --- pool.h ---
template <typename T>
void max_pool2d_forward_cuda(const T*, T*, int32_t*, int64_t, int64_t, int64_t, int, int, int, void*) {
  no_backend();
}
template <typename T>
void max_pool2d_backward_cuda(const T*, const int32_t*, T*, int64_t, int64_t, int64_t, int, int, int, void*) {
  no_backend();
}

template void max_pool2d_forward_cuda<float>(const float*, float*, int32_t*, int64_t, int64_t, int64_t, int, int, int,
                                             void*);
template void max_pool2d_forward_cuda<double>(const double*, double*, int32_t*, int64_t, int64_t, int64_t, int, int,
                                              int, void*);
template void max_pool2d_backward_cuda<float>(const float*, const int32_t*, float*, int64_t, int64_t, int64_t, int,
                                              int, int, void*);
template void max_pool2d_backward_cuda<double>(const double*, const int32_t*, double*, int64_t, int64_t, int64_t, int,
                                               int, int, void*);

// --- optim.h ---
template <typename T>
void adam_step_multi_cuda(const AdamTensor<T>*, int64_t, void*) {
  no_backend();
}
template <typename T>
void sgd_step_cuda(int64_t, T*, const T*, T*, const SgdCoeffs<T>&, void*) {
  no_backend();
}
template <typename T>
void adadelta_step_cuda(int64_t, T*, const T*, T*, T*, const AdadeltaCoeffs<T>&, void*) {
  no_backend();
}

template void adam_step_multi_cuda<float>(const AdamTensor<float>*, int64_t, void*);
template void adam_step_multi_cuda<double>(const AdamTensor<double>*, int64_t, void*);
template void sgd_step_cuda<float>(int64_t, float*, const float*, float*, const SgdCoeffs<float>&, void*);
template void sgd_step_cuda<double>(int64_t, double*, const double*, double*, const SgdCoeffs<double>&, void*);
template void adadelta_step_cuda<float>(int64_t, float*, const float*, float*, float*, const AdadeltaCoeffs<float>&,
                                        void*);
template void adadelta_step_cuda<double>(int64_t, double*, const double*, double*, double*,
                                         const AdadeltaCoeffs<double>&, void*);

}  // namespace aafgan::kernels::cuda
