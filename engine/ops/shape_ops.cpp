// reshape (a view) and concat.
#include "engine/autograd.h"
#include "engine/backend.h"
#include "engine/ops.h"

namespace aafgan {

Tensor reshape(const Tensor& x, const std::vector<int64_t>& dims) {
  std::vector<int64_t> resolved = dims;
  int64_t known = 1;
  int infer = -1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == -1) {
      AAFGAN_CHECK(infer < 0, "reshape: more than one -1 in the target shape");
      infer = static_cast<int>(i);
    } else {
      known *= dims[i];
    }
  }
  if (infer >= 0) {
    AAFGAN_CHECK(known > 0 && x.numel() % known == 0, "reshape: cannot infer a dimension reshaping {}", x.str());
    resolved[static_cast<size_t>(infer)] = x.numel() / known;
  }
  const Shape target(resolved);
  AAFGAN_CHECK(target.numel() == x.numel(), "reshape: {} has {} elements, target shape {} has {}", x.str(), x.numel(),
               target.str(), target.numel());
  Tensor y = x.detach();
  y.impl().shape = target;
  const std::vector<int64_t> back = x.shape().vec();
  autograd::record("reshape", {x}, y, [back](const Tensor& g, autograd::Grads& grads) { grads.set(0, reshape(g, back)); });
  return y;
}

Tensor concat(const std::vector<Tensor>& xs, int dim) {
  AAFGAN_CHECK(!xs.empty(), "concat of no tensors");
  const Tensor& first = xs.front();
  const int d = dim < 0 ? dim + first.ndim() : dim;
  AAFGAN_CHECK(d >= 0 && d < first.ndim(), "concat: dimension {} out of range for {}", dim, first.str());
  std::vector<int64_t> out_dims = first.shape().vec();
  out_dims[static_cast<size_t>(d)] = 0;
  for (const Tensor& t : xs) {
    check_same_dtype("concat", first, t);
    check_same_device("concat", first, t);
    bool fits = t.ndim() == first.ndim();
    for (int i = 0; fits && i < t.ndim(); ++i) fits = i == d || t.size(i) == first.size(i);
    AAFGAN_CHECK(fits, "concat along {}: {} does not fit {}", d, t.str(), first.str());
    out_dims[static_cast<size_t>(d)] += t.size(d);
  }
  Tensor out = Tensor::empty(Shape(out_dims), first.dtype(), first.device());
  const Device device = first.device();
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < d; ++i) outer *= first.size(i);
  for (int i = d + 1; i < first.ndim(); ++i) inner *= first.size(i);
  const size_t esize = dtype_size(first.dtype());
  const int64_t out_row = out_dims[static_cast<size_t>(d)] * inner;
  std::vector<int64_t> widths;
  int64_t col = 0;
  for (const Tensor& t : xs) {
    const int64_t row = t.size(d) * inner;
    backend::copy_rows(device, static_cast<char*>(out.raw_data()) + col * static_cast<int64_t>(esize),
              out_row * static_cast<int64_t>(esize), t.raw_data(), row * static_cast<int64_t>(esize), outer,
              row * static_cast<int64_t>(esize));
    col += row;
    widths.push_back(t.size(d));
  }
  autograd::record("concat", xs, out, [widths, d, outer, inner, out_row, esize, device](const Tensor& g,
                                                                                       autograd::Grads& grads) {
    int64_t c = 0;
    for (size_t k = 0; k < widths.size(); ++k) {
      const int64_t row = widths[k] * inner;
      if (grads.needs(k)) {
        std::vector<int64_t> dims = g.shape().vec();
        dims[static_cast<size_t>(d)] = widths[k];
        Tensor part = Tensor::empty(Shape(dims), g.dtype(), g.device());
        const auto e = static_cast<int64_t>(esize);
        backend::copy_rows(device, part.raw_data(), row * e, static_cast<const char*>(g.raw_data()) + c * e, out_row * e, outer,
                  row * e);
        grads.set(k, part);
      }
      c += row;
    }
  });
  return out;
}

}  // namespace aafgan
