#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "base/error.h"

namespace aafgan {

enum class DType : uint8_t { f32 = 0, f64 = 1 };

inline size_t dtype_size(DType t) { return t == DType::f32 ? 4 : 8; }
inline const char* dtype_name(DType t) { return t == DType::f32 ? "float32" : "float64"; }
DType parse_dtype(const std::string& name);

template <typename T>
constexpr DType dtype_of() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "tensors hold float or double");
  return std::is_same_v<T, float> ? DType::f32 : DType::f64;
}

template <typename T>
struct TypeTag {
  using type = T;
};

// Calls fn(TypeTag<float>{}) or fn(TypeTag<double>{}): the one place that turns the runtime
// dtype into a template argument.
template <typename Fn>
decltype(auto) dispatch(DType t, Fn&& fn) {
  if (t == DType::f32) return fn(TypeTag<float>{});
  return fn(TypeTag<double>{});
}

enum class DeviceKind : uint8_t { cpu = 0, cuda = 1 };

struct Device {
  DeviceKind kind = DeviceKind::cpu;
  int index = 0;

  static Device cpu() { return {}; }
  static Device cuda(int index = 0) { return {DeviceKind::cuda, index}; }
  bool is_cpu() const { return kind == DeviceKind::cpu; }
  bool is_cuda() const { return kind == DeviceKind::cuda; }
  bool operator==(const Device& o) const { return kind == o.kind && (is_cpu() || index == o.index); }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }
};

}  // namespace aafgan
