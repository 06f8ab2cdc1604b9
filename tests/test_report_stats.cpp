// The report's statistics (report/statistics.h) against values computed independently with
// SciPy 1.17.1 (python3: scipy.stats.ttest_ind(x, y, equal_var=False), its
// confidence_interval(0.95), scipy.stats.t.ppf / t.sf) and Python's statistics.stdev.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "report/statistics.h"

using namespace aafgan::report;

TEST_CASE("report stats: mean and sample standard deviation (n - 1), non-finite values left out") {
  // statistics.mean/stdev([91, 88, 86]) = 88.33333333333333, 2.516611478423583
  const SampleSummary s = summarize({91, 88, NAN, 86, INFINITY});
  CHECK(s.n == 3);
  CHECK(s.mean == doctest::Approx(88.33333333333333).epsilon(1e-14));
  CHECK(s.std == doctest::Approx(2.516611478423583).epsilon(1e-14));
  const SampleSummary one = summarize({5.0});
  CHECK(one.n == 1);
  CHECK(one.mean == 5.0);
  CHECK(std::isnan(one.std));
  CHECK(summarize({}).n == 0);
  CHECK(std::isnan(summarize({}).mean));
}

TEST_CASE("report stats: Student t quantile and upper tail match SciPy") {
  CHECK(student_t_quantile(10, 0.975) == doctest::Approx(2.228138851986274).epsilon(1e-12));  // t.ppf(.975, 10)
  CHECK(student_t_quantile(3.7, 0.975) == doctest::Approx(2.8675207071911895).epsilon(1e-12));  // fractional df
  CHECK(student_t_upper_tail(4.2, 2.5) == doctest::Approx(0.03190770673326885).epsilon(1e-12));  // t.sf(2.5, 4.2)
}

TEST_CASE("report stats: Welch's t-test, df and 95 % CI match SciPy") {
  struct Case {
    std::vector<double> a, b;
    double t, p, df, lo, hi;
  };
  const Case cases[] = {
      // ttest_ind([95,93,97,96], [91,88,86], equal_var=False)
      {{95, 93, 97, 96}, {91, 88, 86}, 4.104085864403437, 0.021083827604692157, 3.3534671130445237, 1.8593054419922552,
       11.974027891341088},
      // ttest_ind([95,93,97,96], [89,92], equal_var=False): df < 2
      {{95, 93, 97, 96}, {89, 92}, 2.7519859326360256, 0.13204544871121193, 1.693873043046083, -4.1233052108040305,
       13.62330521080403},
      // ttest_ind([28,27,30,26], [35,33,36], equal_var=False): a negative difference
      {{28, 27, 30, 26}, {35, 33, 36}, -5.634407136407683, 0.002906370272814762, 4.733990147783252, -10.126339066433431,
       -3.7069942668998985},
  };
  for (const Case& c : cases) {
    const WelchTest w = welch_test(c.a, c.b);
    REQUIRE(w.valid);
    CHECK(w.t == doctest::Approx(c.t).epsilon(1e-12));
    CHECK(w.p == doctest::Approx(c.p).epsilon(1e-10));
    CHECK(w.df == doctest::Approx(c.df).epsilon(1e-12));
    CHECK(w.ci_low == doctest::Approx(c.lo).epsilon(1e-10));
    CHECK(w.ci_high == doctest::Approx(c.hi).epsilon(1e-10));
    CHECK(w.diff == doctest::Approx((c.lo + c.hi) / 2).epsilon(1e-12));
  }
}

TEST_CASE("report stats: Welch's test is not computed from one run or without variance") {
  const WelchTest one = welch_test({1, 2, 3}, {4});
  CHECK_FALSE(one.valid);
  CHECK(one.why_not == "needs ≥ 2 runs in each group");
  CHECK(one.diff == doctest::Approx(-2));
  const WelchTest flat = welch_test({1, 1}, {2, 2, 2});
  CHECK_FALSE(flat.valid);
  CHECK(flat.why_not == "no variance in either group");
  CHECK(std::isnan(flat.p));
}
