#include "engine/shape.h"

#include "base/error.h"

namespace aafgan {

Shape::Shape(std::initializer_list<int64_t> dims) : Shape(std::vector<int64_t>(dims)) {}

Shape::Shape(const std::vector<int64_t>& dims) {
  AAFGAN_CHECK(dims.size() <= static_cast<size_t>(kMaxDims), "a tensor has at most {} dimensions, got {}",
               kMaxDims, dims.size());
  ndim_ = static_cast<int>(dims.size());
  for (int i = 0; i < ndim_; ++i) {
    AAFGAN_CHECK(dims[i] >= 0, "negative dimension {} in shape", dims[i]);
    d_[i] = dims[i];
  }
}

int64_t Shape::operator[](int i) const { return d_[i]; }
int64_t& Shape::operator[](int i) { return d_[i]; }

int64_t Shape::dim(int i) const {
  const int j = i < 0 ? i + ndim_ : i;
  AAFGAN_CHECK(j >= 0 && j < ndim_, "dimension {} out of range for shape {}", i, str());
  return d_[j];
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < ndim_; ++i) n *= d_[i];
  return n;
}

Shape Shape::drop_front() const {
  AAFGAN_CHECK(ndim_ >= 1, "cannot drop the batch dimension of a 0-d shape");
  return Shape(std::vector<int64_t>(d_ + 1, d_ + ndim_));
}

bool Shape::operator==(const Shape& o) const {
  if (ndim_ != o.ndim_) return false;
  for (int i = 0; i < ndim_; ++i)
    if (d_[i] != o.d_[i]) return false;
  return true;
}

std::string Shape::str() const {
  std::string s = "[";
  for (int i = 0; i < ndim_; ++i) s += (i ? "," : "") + std::to_string(d_[i]);
  return s + "]";
}

}  // namespace aafgan
