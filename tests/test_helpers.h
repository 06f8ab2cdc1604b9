#pragma once
// Small helpers several test files share.
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "engine/random.h"

namespace aafgan::testing {

// fn() must throw an aafgan::Error whose message mentions `mentions`.
template <typename Fn>
void expect_error(const char* what, Fn fn, const std::string& mentions) {
  try {
    fn();
    FAIL_CHECK(what << ": no error was thrown");
  } catch (const Error& e) {
    const std::string msg = e.what();
    CHECK_MESSAGE(msg.find(mentions) != std::string::npos, what << ": message '" << msg << "' lacks '" << mentions << "'");
  }
}

// Whether `s` holds `part`.
inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The message of the aafgan::Error that fn() throws; a failed test when it throws none.
inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("expected an aafgan::Error");
  return "";
}

// fn() must throw an aafgan::Error whose message contains every one of `parts`.
template <typename Fn>
void check_error(Fn&& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    FAIL("no error was thrown");
  } catch (const Error& e) {
    const std::string msg = e.what();
    INFO(msg);
    for (const std::string& p : parts) CHECK(msg.find(p) != std::string::npos);
  }
}

// An f64 leaf of distinct values in a random order, 2/numel apart in [−1, 1): no window of a
// max-pool holds a tie, and a central-difference step never changes an argmax.
inline Tensor distinct_leaf(const Shape& s, uint64_t seed) {
  Generator gen(seed);
  const int64_t n = s.numel();
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = 2.0 * static_cast<double>(i) / static_cast<double>(n) - 1.0;
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(v[static_cast<size_t>(i)], v[static_cast<size_t>(gen.next_below(static_cast<uint64_t>(i + 1)))]);
  Tensor t = Tensor::from_vector(s, v, DType::f64);
  t.set_requires_grad(true);
  return t;
}

}  // namespace aafgan::testing
