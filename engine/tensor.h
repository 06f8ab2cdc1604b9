#pragma once
#include <memory>
#include <string>
#include <vector>

#include "engine/dtype.h"
#include "engine/shape.h"

namespace aafgan {

// A block of memory on one device. Tensors share it, so views (reshape, detach) are free.
class Storage {
 public:
  Storage(size_t bytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  Device device_;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;  // in elements
  Shape shape;
  DType dtype = DType::f32;
  bool requires_grad = false;
  bool is_leaf = true;  // false for outputs of ops recorded on the tape
  std::shared_ptr<TensorImpl> grad;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // --- factories -------------------------------------------------------------------
  static Tensor empty(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor ones(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor from_vector(const Shape& shape, const std::vector<double>& values, DType dtype = DType::f32);
  static Tensor scalar(double value, DType dtype = DType::f32) { return full(Shape{}, value, dtype); }

  // --- properties ------------------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  int ndim() const { return shape().ndim(); }
  int64_t size(int dim) const { return shape().dim(dim); }
  int64_t numel() const { return shape().numel(); }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device(); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }
  std::string str() const;  // "float32[100,784] on cpu"

  // Typed access to the elements; throws when T does not match the dtype.
  template <typename T>
  T* data() const;
  void* raw_data() const;
  // The single value of a one-element tensor, converted to double.
  double item() const;
  std::vector<double> to_vector() const;

  // --- autodiff ----------------------------------------------------------------------
  bool requires_grad() const { return impl().requires_grad; }
  // Only leaves (parameters, inputs) can be switched; freezing a parameter sets false.
  Tensor& set_requires_grad(bool on);
  bool is_leaf() const { return impl().is_leaf; }
  Tensor grad() const { return Tensor(impl().grad); }
  void zero_grad() { impl().grad.reset(); }
  // Same storage, no history: gradients stop here.
  Tensor detach() const;

  // --- copies and in-place updates (never recorded) ---------------------------------
  Tensor clone() const;
  // Always a new tensor (never sharing storage), converted or moved as asked.
  Tensor to(DType dtype) const;
  Tensor to(Device device) const;
  Tensor& fill_(double value);
  Tensor& copy_(const Tensor& src);  // same shape; converts dtype; any devices

  TensorImpl& impl() const;
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same_storage(const Tensor& o) const { return impl().storage == o.impl().storage; }

 private:
  Tensor& copy_across_devices(const Tensor& src);

  std::shared_ptr<TensorImpl> impl_;
};

void check_same_dtype(const char* op, const Tensor& a, const Tensor& b);
void check_same_device(const char* op, const Tensor& a, const Tensor& b);
void check_cpu(const char* op, const Tensor& t);

}  // namespace aafgan
