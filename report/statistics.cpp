#include "report/statistics.h"

#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>

#include "base/error.h"

namespace aafgan::report {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> finite_only(const std::vector<double>& v) {
  std::vector<double> out;
  for (double x : v)
    if (std::isfinite(x)) out.push_back(x);
  return out;
}
}  // namespace

SampleSummary summarize(const std::vector<double>& values) {
  const std::vector<double> v = finite_only(values);
  SampleSummary s;
  s.n = static_cast<int>(v.size());
  if (s.n == 0) return {0, kNaN, kNaN};
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / s.n;
  if (s.n < 2) {
    s.std = kNaN;
    return s;
  }
  double ss = 0;  // two passes: no cancellation for values far from 0
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(ss / (s.n - 1));
  return s;
}

double student_t_quantile(double df, double probability) {
  AAFGAN_CHECK(df > 0 && probability > 0 && probability < 1, "student_t_quantile: df {} and p {} out of range", df, probability);
  return boost::math::quantile(boost::math::students_t_distribution<double>(df), probability);
}

double student_t_upper_tail(double df, double t) {
  AAFGAN_CHECK(df > 0, "student_t_upper_tail: df {} must be > 0", df);
  return boost::math::cdf(boost::math::complement(boost::math::students_t_distribution<double>(df), t));
}

WelchTest welch_test(const std::vector<double>& a_values, const std::vector<double>& b_values, double confidence) {
  const SampleSummary a = summarize(a_values), b = summarize(b_values);
  WelchTest w;
  w.n_a = a.n;
  w.n_b = b.n;
  w.mean_a = a.mean;
  w.mean_b = b.mean;
  w.diff = a.mean - b.mean;
  w.se = w.t = w.df = w.p = w.ci_low = w.ci_high = kNaN;
  if (a.n < 2 || b.n < 2) {
    w.why_not = "needs ≥ 2 runs in each group";
    return w;
  }
  const double va = a.std * a.std / a.n, vb = b.std * b.std / b.n;
  w.se = std::sqrt(va + vb);
  if (!(w.se > 0)) {
    w.why_not = "no variance in either group";
    return w;
  }
  w.t = w.diff / w.se;
  w.df = (va + vb) * (va + vb) / (va * va / (a.n - 1) + vb * vb / (b.n - 1));
  w.p = std::min(1.0, 2 * student_t_upper_tail(w.df, std::fabs(w.t)));
  const double q = student_t_quantile(w.df, 0.5 + confidence / 2);
  w.ci_low = w.diff - q * w.se;
  w.ci_high = w.diff + q * w.se;
  w.valid = true;
  return w;
}

}  // namespace aafgan::report
