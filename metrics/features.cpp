#include "metrics/features.h"

#include <algorithm>

#include "engine/autograd.h"
#include "engine/ops.h"
#include "base/stop_signal.h"
#include "kernels/cpu/parallel.h"

namespace aafgan::models::fid {

FeatureMatrix extract_features(FidInception& net, int64_t count, int64_t batch_size, const ImageBatchFn& batch,
                               const ProgressFn& progress) {
  AAFGAN_CHECK(count >= 0 && batch_size >= 1, "FID features: {} images in batches of {}", count, batch_size);
  autograd::NoGradGuard no_grad;
  net.eval();
  FeatureMatrix out(count, net.feature_dim());
  for (int64_t first = 0; first < count; first += batch_size) {
    throw_if_stop_requested("FID/KID feature extraction");
    const int64_t n = std::min(batch_size, count - first);
    Tensor x = batch(first, n);
    AAFGAN_CHECK(x.defined() && x.ndim() == 4 && x.size(0) == n && (x.size(1) == 1 || x.size(1) == 3),
                 "FID features: a batch of {} images must be [{}, 1 or 3, H, W], got {}", n, n,
                 x.defined() ? x.str() : std::string("(undefined)"));
    if (x.dtype() != net.dtype()) x = x.to(net.dtype());
    if (x.size(1) == 1) x = concat({x, x, x}, 1);  // gray as RGB, as PIL's convert('RGB')
    const Tensor f = net.forward(x).to(DType::f64);
    std::copy(f.data<double>(), f.data<double>() + f.numel(), out.data() + first * net.feature_dim());
    if (progress) progress(first + n, count);
  }
  return out;
}

Tensor dataset_batch(const data::ImageDataset& images, int64_t first, int64_t n, DType dtype) {
  AAFGAN_CHECK(first >= 0 && n >= 0 && first + n <= images.count, "FID: images [{}, {}) of a set of {}", first,
               first + n, images.count);
  Tensor t = Tensor::empty(Shape{n, images.channels, images.size, images.size}, dtype);
  const uint8_t* src = images.image(first);
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* dst = t.data<T>();
    kernels::cpu::parallel_for(t.numel(), [&](int64_t i) { dst[i] = static_cast<T>(src[i]) / T(255); });
  });
  return t;
}

Tensor gan_to_unit_range(const Tensor& images) {
  check_cpu("gan_to_unit_range", images);
  Tensor t = Tensor::empty(images.shape(), images.dtype());
  dispatch(images.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = images.data<T>();
    T* dst = t.data<T>();
    kernels::cpu::parallel_for(t.numel(),
                               [&](int64_t i) { dst[i] = std::min(std::max((src[i] + T(1)) / T(2), T(0)), T(1)); });
  });
  return t;
}

}  // namespace aafgan::models::fid
