#include "kernels/cpu/reduce.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/cpu/parallel.h"
#include "kernels/math/broadcast.h"

namespace aafgan::kernels::cpu {

template <typename T>
void sum_all(const T* x, T* out, int64_t n) {
  double acc = 0;  // f32 losses summed in double: the result does not depend on order much
  for (int64_t i = 0; i < n; ++i) acc += static_cast<double>(x[i]);
  *out = static_cast<T>(acc);
}

template <typename T>
void sum_dim(const T* x, T* out, int64_t outer, int64_t size, int64_t inner) {
  // Rows of `inner` accumulate into a double row, so the innermost loop is contiguous and
  // vectorises; each output still sums its k terms in ascending order.
  std::vector<double> acc(static_cast<size_t>(inner));
  for (int64_t o = 0; o < outer; ++o) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t k = 0; k < size; ++k) {
      const T* row = x + (o * size + k) * inner;
      for (int64_t i = 0; i < inner; ++i) acc[static_cast<size_t>(i)] += static_cast<double>(row[i]);
    }
    for (int64_t i = 0; i < inner; ++i) out[o * inner + i] = static_cast<T>(acc[static_cast<size_t>(i)]);
  }
}

template <typename T>
void sum_to(const T* g, T* out, int g_ndim, const int64_t* g_dims, int t_ndim, const int64_t* t_dims) {
  bool fits = t_ndim <= g_ndim;
  for (int i = 1; fits && i <= t_ndim; ++i) fits = t_dims[t_ndim - i] == 1 || t_dims[t_ndim - i] == g_dims[g_ndim - i];
  if (!fits)
    throw std::invalid_argument("kernels::cpu::sum_to: the " + std::to_string(t_ndim) +
                                "-d target does not broadcast to the " + std::to_string(g_ndim) + "-d gradient");
  // Is the target g's trailing dimensions (a per-feature parameter over a batch)?
  bool suffix = true;
  for (int i = 1; suffix && i <= t_ndim; ++i) suffix = t_dims[t_ndim - i] == g_dims[g_ndim - i];
  int64_t g_numel = 1, t_numel = 1;
  for (int d = 0; d < g_ndim; ++d) g_numel *= g_dims[d];
  for (int d = 0; d < t_ndim; ++d) t_numel *= t_dims[d];
  if (suffix) {
    // Per-feature parameter: accumulate the batch rows in double for accuracy in f32.
    const int64_t inner = t_numel, rows = g_numel / std::max<int64_t>(inner, 1);
    parallel_for(inner, [&](int64_t j) {
      double acc = 0;
      for (int64_t r = 0; r < rows; ++r) acc += static_cast<double>(g[r * inner + j]);
      out[j] = static_cast<T>(acc);
    });
    return;
  }
  if (g_ndim > kMaxBroadcastDims)
    throw std::invalid_argument("kernels::cpu::sum_to: " + std::to_string(g_ndim) + " dimensions (at most " +
                                std::to_string(kMaxBroadcastDims) + " when the target is not a suffix)");
  std::fill(out, out + t_numel, T(0));
  const BroadcastIndex bi = make_broadcast_index(g_ndim, g_dims, g_ndim, g_dims, t_ndim, t_dims);
  bi.for_each([&](int64_t, int64_t ig, int64_t it) { out[it] += g[ig]; });
}

template void sum_all<float>(const float*, float*, int64_t);
template void sum_all<double>(const double*, double*, int64_t);
template void sum_dim<float>(const float*, float*, int64_t, int64_t, int64_t);
template void sum_dim<double>(const double*, double*, int64_t, int64_t, int64_t);
template void sum_to<float>(const float*, float*, int, const int64_t*, int, const int64_t*);
template void sum_to<double>(const double*, double*, int, const int64_t*, int, const int64_t*);

}  // namespace aafgan::kernels::cpu
