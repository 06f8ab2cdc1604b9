// The listener behind failure_count.h: doctest reports every failed assertion to its reporters
// and listeners (log_assert), and the start of every test case; nothing else is needed.
#include "tests/failure_count.h"

#include <doctest/doctest.h>

#include <atomic>

namespace aafgan::testing {

namespace {

std::atomic<int> g_failed{0};
std::atomic<int> g_cases_run{0};

struct FailureCounter : doctest::IReporter {
  explicit FailureCounter(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats& s) override {
    g_cases_run = static_cast<int>(s.numTestCasesPassingFilters);
  }
  void test_case_start(const doctest::TestCaseData&) override { g_failed = 0; }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData& ad) override {
    if (ad.m_failed) ++g_failed;
  }
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

}  // namespace

int failed_asserts_in_current_test() { return g_failed.load(); }
int test_cases_run() { return g_cases_run.load(); }

}  // namespace aafgan::testing

DOCTEST_REGISTER_LISTENER("aafgan_failure_count", 1, aafgan::testing::FailureCounter);
