#pragma once
// Statistics over seeds: mean, sample standard deviation (n − 1) and Welch's unequal-variance
// t-test with its confidence interval (Welch–Satterthwaite degrees of freedom, Student t
// quantiles from Boost.Math).
#include <string>
#include <vector>

namespace aafgan::report {

struct SampleSummary {
  int n = 0;
  double mean = 0;  // NaN when n = 0
  double std = 0;   // sample standard deviation (n − 1); NaN when n < 2
};

// Over the finite values of `v` (NaN and ±inf are left out and not counted).
SampleSummary summarize(const std::vector<double>& v);

// Welch's t-test of mean(a) − mean(b) (finite values only).
struct WelchTest {
  bool valid = false;
  std::string why_not;  // when not valid: "needs ≥ 2 runs in each group", "no variance in either group"
  int n_a = 0, n_b = 0;
  double mean_a = 0, mean_b = 0;
  double diff = 0;             // mean_a − mean_b
  double se = 0;               // √(s_a²/n_a + s_b²/n_b)
  double t = 0;                // diff / se
  double df = 0;               // (s_a²/n_a + s_b²/n_b)² / ((s_a²/n_a)²/(n_a−1) + (s_b²/n_b)²/(n_b−1))
  double p = 0;                // two-sided: 2·P(T_df > |t|)
  double ci_low = 0, ci_high = 0;  // diff ∓ t_{(1+confidence)/2, df} · se
};
WelchTest welch_test(const std::vector<double>& a, const std::vector<double>& b, double confidence = 0.95);

// Quantile and upper tail of Student's t distribution with (possibly fractional) df > 0.
double student_t_quantile(double df, double probability);
double student_t_upper_tail(double df, double t);

}  // namespace aafgan::report
