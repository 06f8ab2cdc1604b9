#pragma once
// How many assertions of the running test case have failed so far, counted by a doctest
// listener (failure_count.cpp) from the assertion results doctest reports. The GPU skip macros
// (gpu.h) ask it: a case that already failed must not print "skipped: ", which ctest's
// SKIP_REGULAR_EXPRESSION would report as Skipped over the failure.
namespace aafgan::testing {

int failed_asserts_in_current_test();
// The test cases that passed the run's filters (set when the run ends).
int test_cases_run();

}  // namespace aafgan::testing
