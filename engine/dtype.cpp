#include "engine/dtype.h"

namespace aafgan {

DType parse_dtype(const std::string& name) {
  if (name == "float32" || name == "f32" || name == "float") return DType::f32;
  if (name == "float64" || name == "f64" || name == "double") return DType::f64;
  fail("unknown dtype '{}' (expected float32 or float64)", name);
}

}  // namespace aafgan
