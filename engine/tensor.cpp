#include "engine/tensor.h"

#include "engine/backend.h"
#include "engine/device.h"

namespace aafgan {

Storage::Storage(size_t bytes, Device device) : bytes_(bytes), device_(device) {
  if (device.is_cuda() && !cuda_available())
    fail("cannot allocate {} bytes on {}: {}", bytes, device.str(), cuda_unavailable_reason());
  data_ = backend::allocate(device, bytes);
}

// A GPU block freed here may be reused at once by work on the same device stream (the
// allocator's contract).
Storage::~Storage() { backend::deallocate(device_, data_, bytes_); }

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(static_cast<size_t>(shape.numel()) * dtype_size(dtype), device);
  impl->shape = shape;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) { return full(shape, 0.0, dtype, device); }

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
  if (!device().is_cpu()) return to(Device::cpu()).item();
  return dispatch(dtype(), [&](auto tag) -> double { return static_cast<double>(*data<typename decltype(tag)::type>()); });
}

std::vector<double> Tensor::to_vector() const {
  if (!device().is_cpu()) return to(Device::cpu()).to_vector();
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
  backend::fill(*this, value);
  return *this;
}

Tensor& Tensor::copy_(const Tensor& src) {
  backend::copy(*this, src);
  return *this;
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
