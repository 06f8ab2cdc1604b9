#include "engine/tensor.h"

#include <cstring>

#include "engine/device.h"
#include "engine/host_allocator.h"
#include "kernels/cuda/device_allocator.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/pinned_memory.h"

namespace aafgan {

Storage::Storage(size_t bytes, Device device) : bytes_(bytes), device_(device) {
  if (device.is_cpu()) {
    data_ = host_alloc(bytes);
    return;
  }
  if (!cuda_available()) fail("cannot allocate {} bytes on {}: {}", bytes, device.str(), cuda_unavailable_reason());
  make_current(device);
  try {
    data_ = kernels::cuda::cached_alloc(bytes);
  } catch (const std::exception& e) {
    fail("{}", e.what());
  }
}

Storage::~Storage() {
  if (device_.is_cpu()) {
    host_free(data_, bytes_);
    return;
  }
  // A block freed here may be reused at once by work on the same device stream (the
  // allocator's contract); a failure cannot be reported from a destructor.
  try {
    make_current(device_);
    kernels::cuda::cached_free(data_);
  } catch (...) {
  }
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(static_cast<size_t>(shape.numel()) * dtype_size(dtype), device);
  impl->shape = shape;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  if (device.is_cuda()) return t.fill_(0.0);
  std::memset(t.raw_data(), 0, t.nbytes());
  return t;
}

Tensor Tensor::ones(const Shape& shape, DType dtype, Device device) { return full(shape, 1.0, dtype, device); }

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.fill_(value);
  return t;
}

Tensor Tensor::from_vector(const Shape& shape, const std::vector<double>& values, DType dtype) {
  AAFGAN_CHECK(static_cast<int64_t>(values.size()) == shape.numel(), "from_vector: {} values for shape {}",
               values.size(), shape.str());
  Tensor t = empty(shape, dtype);
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = t.data<T>();
    for (size_t i = 0; i < values.size(); ++i) p[i] = static_cast<T>(values[i]);
  });
  return t;
}

TensorImpl& Tensor::impl() const {
  if (!impl_) fail("use of an undefined tensor");
  return *impl_;
}

std::string Tensor::str() const {
  if (!impl_) return "undefined tensor";
  return fmt::format("{}{} on {}", dtype_name(dtype()), shape().str(), device().str());
}

template <typename T>
T* Tensor::data() const {
  if (dtype() != dtype_of<T>())
    fail("tensor {} accessed as {}", str(), dtype_name(dtype_of<T>()));
  return static_cast<T*>(impl().storage->data()) + impl().offset;
}
template float* Tensor::data<float>() const;
template double* Tensor::data<double>() const;

void* Tensor::raw_data() const {
  return static_cast<char*>(impl().storage->data()) + impl().offset * static_cast<int64_t>(dtype_size(dtype()));
}

double Tensor::item() const {
  AAFGAN_CHECK(numel() == 1, "item() needs a one-element tensor, got {}", str());
  if (device().is_cuda()) return to(Device::cpu()).item();
  return dispatch(dtype(), [&](auto tag) -> double { return static_cast<double>(*data<typename decltype(tag)::type>()); });
}

std::vector<double> Tensor::to_vector() const {
  if (device().is_cuda()) return to(Device::cpu()).to_vector();
  std::vector<double> out(static_cast<size_t>(numel()));
  dispatch(dtype(), [&](auto tag) {
    const auto* p = data<typename decltype(tag)::type>();
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<double>(p[i]);
  });
  return out;
}

Tensor& Tensor::set_requires_grad(bool on) {
  AAFGAN_CHECK(is_leaf(), "requires_grad can only be changed on a leaf tensor ({} is an op's output)", str());
  impl().requires_grad = on;
  if (!on) impl().grad.reset();
  return *this;
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = this->impl().storage;
  impl->offset = this->impl().offset;
  impl->shape = shape();
  impl->dtype = dtype();
  return Tensor(std::move(impl));
}

Tensor Tensor::clone() const {
  Tensor t = empty(shape(), dtype(), device());
  t.copy_(*this);
  return t;
}

Tensor Tensor::to(DType target) const {
  Tensor t = empty(shape(), target, device());
  t.copy_(*this);
  return t;
}

Tensor Tensor::to(Device target) const {
  Tensor t = empty(shape(), dtype(), target);
  t.copy_(*this);
  return t;
}

Tensor& Tensor::fill_(double value) {
  if (device().is_cuda()) {
    void* stream = cuda_stream(device());
    dispatch(dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      kernels::cuda::fill_cuda<T>(data<T>(), numel(), value, stream);
    });
    return *this;
  }
  dispatch(dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = data<T>();
    const T v = static_cast<T>(value);
    for (int64_t i = 0, n = numel(); i < n; ++i) p[i] = v;
  });
  return *this;
}

Tensor& Tensor::copy_(const Tensor& src) {
  AAFGAN_CHECK(src.shape() == shape(), "copy_: source {} does not match destination {}", src.str(), str());
  if (device().is_cuda() || src.device().is_cuda()) return copy_across_devices(src);
  if (src.dtype() == dtype()) {
    std::memmove(raw_data(), src.raw_data(), nbytes());
    return *this;
  }
  dispatch(dtype(), [&](auto dst_tag) {
    using D = typename decltype(dst_tag)::type;
    dispatch(src.dtype(), [&](auto src_tag) {
      using S = typename decltype(src_tag)::type;
      D* d = data<D>();
      const S* s = src.data<S>();
      for (int64_t i = 0, n = numel(); i < n; ++i) d[i] = static_cast<D>(s[i]);
    });
  });
  return *this;
}

// Copies that involve a GPU. Host↔device copies of different dtypes convert on the CPU side.
// Device → host waits for the transfer (the caller reads the data next); host → device from
// pageable memory is staged by the driver (the trainer uploads batches through pinned buffers).
Tensor& Tensor::copy_across_devices(const Tensor& src) {
  if (nbytes() == 0 && src.numel() == 0) return *this;
  if (device().is_cuda() && src.device().is_cuda()) {
    AAFGAN_CHECK(device() == src.device(), "copy_: {} and {} are on different GPUs; copy through the cpu", src.str(),
                 str());
    void* stream = cuda_stream(device());
    if (dtype() == src.dtype()) {
      kernels::cuda::copy_device_to_device_async(raw_data(), src.raw_data(), nbytes(), stream);
    } else if (dtype() == DType::f64) {
      kernels::cuda::convert_cuda<float, double>(src.data<float>(), data<double>(), numel(), stream);
    } else {
      kernels::cuda::convert_cuda<double, float>(src.data<double>(), data<float>(), numel(), stream);
    }
    return *this;
  }
  if (device().is_cuda()) {  // host → device
    // From pageable memory (the host allocator never pins) cudaMemcpyAsync returns once the
    // source has been staged, so `host` may be freed right away and no wait is needed here.
    const Tensor host = src.dtype() == dtype() ? src : src.to(dtype());
    kernels::cuda::copy_to_device_async(raw_data(), host.raw_data(), nbytes(), cuda_stream(device()));
    return *this;
  }
  // device → host
  void* stream = cuda_stream(src.device());
  if (src.dtype() == dtype()) {
    kernels::cuda::copy_to_host_async(raw_data(), src.raw_data(), nbytes(), stream);
    kernels::cuda::stream_synchronize(stream);
    return *this;
  }
  Tensor staged = Tensor::empty(shape(), src.dtype());
  kernels::cuda::copy_to_host_async(staged.raw_data(), src.raw_data(), staged.nbytes(), stream);
  kernels::cuda::stream_synchronize(stream);
  return copy_(staged);
}

void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype()) fail("{}: dtype mismatch between {} and {}", op, a.str(), b.str());
}

void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  if (a.device() != b.device()) fail("{}: device mismatch between {} and {}", op, a.str(), b.str());
}

void check_cpu(const char* op, const Tensor& t) {
  if (!t.device().is_cpu()) fail("{}: {} is not on the cpu, and this op runs on the cpu only", op, t.str());
}

}  // namespace aafgan
