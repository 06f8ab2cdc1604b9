#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace aafgan {

// Dimensions of a contiguous row-major tensor: up to five, enough for [N,C,H,W] and the
// conv weights [Cout,Cin,kH,kW].
class Shape {
 public:
  static constexpr int kMaxDims = 5;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(const std::vector<int64_t>& dims);

  int ndim() const { return ndim_; }
  int64_t operator[](int i) const;
  int64_t& operator[](int i);
  // Negative indices count from the end, as in Python.
  int64_t dim(int i) const;
  int64_t numel() const;
  std::vector<int64_t> vec() const { return {d_, d_ + ndim_}; }
  // Shape without the first (batch) dimension.
  Shape drop_front() const;
  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string str() const;

 private:
  int ndim_ = 0;
  int64_t d_[kMaxDims] = {0, 0, 0, 0, 0};
};

}  // namespace aafgan
