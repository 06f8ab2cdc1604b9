#include "tests/gradcheck.h"

#include <cmath>

namespace aafgan::testing {

Tensor random_input(const Shape& shape, uint64_t seed, double low, double high) {
  Generator gen(seed);
  Tensor t = Tensor::empty(shape, DType::f64);
  gen.uniform_(t, low, high);
  return t;
}

namespace {

std::vector<Tensor> cast_all(const std::vector<Tensor>& xs, DType dtype) {
  std::vector<Tensor> out;
  for (const Tensor& x : xs) {
    if (!x.defined()) {
      out.emplace_back();
      continue;
    }
    Tensor c = x.to(dtype);
    c.set_requires_grad(x.requires_grad());
    out.push_back(c);
  }
  return out;
}

double projected(const OpFn& fn, const std::vector<Tensor>& xs, const Tensor& proj) {
  autograd::NoGradGuard no_grad;
  const Tensor y = fn(xs);
  const std::vector<double> yv = y.to_vector(), pv = proj.to_vector();
  double s = 0;
  for (size_t i = 0; i < yv.size(); ++i) s += yv[i] * pv[i];
  return s;
}

}  // namespace

void gradcheck(const std::string& what, const OpFn& fn, const std::vector<Tensor>& inputs, DType dtype,
               const GradcheckOptions& opt) {
  // The f64 point is the f32-rounded one, so both dtypes differentiate at the same place.
  std::vector<Tensor> point = cast_all(cast_all(inputs, dtype), DType::f64);
  std::vector<Tensor> run = cast_all(point, dtype);

  Tensor y = fn(run);
  REQUIRE_MESSAGE(y.requires_grad(), what << ": output does not require a gradient");
  Tensor proj = random_input(y.shape(), 0x5eed, -1.0, 1.0);
  Tensor loss = sum(mul(y, proj.to(dtype)));
  autograd::backward(loss);

  const double rtol = dtype == DType::f64 ? opt.rtol : opt.rtol_f32;
  const double atol = dtype == DType::f64 ? opt.atol : opt.atol_f32;
  for (size_t k = 0; k < point.size(); ++k) {
    if (!point[k].defined() || !point[k].requires_grad()) continue;
    REQUIRE_MESSAGE(run[k].grad().defined(), what << ": no gradient reached input " << k);
    const std::vector<double> analytic = run[k].grad().to_vector();
    double* px = point[k].data<double>();
    int bad = 0;
    for (int64_t j = 0; j < point[k].numel(); ++j) {
      const double x0 = px[j];
      px[j] = x0 + opt.eps;
      const double up = projected(fn, point, proj);
      px[j] = x0 - opt.eps;
      const double down = projected(fn, point, proj);
      px[j] = x0;
      const double numeric = (up - down) / (2 * opt.eps);
      const double a = analytic[static_cast<size_t>(j)];
      if (std::fabs(a - numeric) > atol + rtol * std::fabs(numeric) && bad++ < 5)
        FAIL_CHECK(what << " (" << std::string(dtype_name(dtype)) << "): d/d input" << k << "[" << j << "] analytic " << a
                        << " numeric " << numeric);
    }
    CHECK_MESSAGE(bad == 0, what << ": " << bad << " mismatching elements in input " << k);
  }
}

}  // namespace aafgan::testing
