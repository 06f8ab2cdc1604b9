#pragma once
// The random fills (normal, uniform) and dropout masks of both backends: Philox counters
// (philox.h) turned into values, each element independent of every other.
#include "kernels/math/philox.h"
#include "kernels/math/rounding.h"

namespace aafgan::kernels {

// mean + std·z for a standard normal z (philox_normal), in double; the caller rounds to T once.
AAFGAN_HD double normal_value(double mean, double std, double z) { return add_rn(mean, mul_rn(std, z)); }

// low + (high − low)·u for a uniform u in (0, 1] (philox_uniform), in double.
AAFGAN_HD double uniform_value(double low, double high, double u) {
  return add_rn(low, mul_rn(sub_rn(high, low), u));
}

}  // namespace aafgan::kernels
