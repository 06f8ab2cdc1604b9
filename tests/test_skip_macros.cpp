// The skip macros' contract with ctest (tests/gpu.h): a case prints "skipped: " only while none
// of its assertions has failed, since ctest's SKIP_REGULAR_EXPRESSION would otherwise report a
// failed case as Skipped.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <string>

#include "tests/failure_count.h"
#include "tests/gpu.h"

namespace {

// What report_skip writes to stdout.
std::string printed_by_report_skip(const std::string& reason) {
  std::fflush(stdout);
  FILE* capture = std::tmpfile();
  REQUIRE(capture != nullptr);
  const int saved = dup(fileno(stdout));
  dup2(fileno(capture), fileno(stdout));
  aafgan::testing::report_skip(reason, false);
  std::fflush(stdout);
  dup2(saved, fileno(stdout));
  close(saved);
  std::rewind(capture);
  std::string out;
  for (int c = std::fgetc(capture); c != EOF; c = std::fgetc(capture)) out += static_cast<char>(c);
  std::fclose(capture);
  return out;
}

}  // namespace

TEST_CASE("skip macros: a case with no failed assertion prints the skip line") {
  CHECK(aafgan::testing::failed_asserts_in_current_test() == 0);
  // Printed to the capture, not to ctest's view of this case's output.
  CHECK(printed_by_report_skip("probe reason") == "skipped: probe reason\n");
}

// expected_failures(1): this case passes when its one deliberate failure, and nothing else, fails.
TEST_CASE("skip macros: a case that already failed prints no skip line" * doctest::expected_failures(1)) {
  CHECK_MESSAGE(false, "the deliberate failure this case needs (it expects exactly one)");
  CHECK(aafgan::testing::failed_asserts_in_current_test() == 1);
  CHECK(printed_by_report_skip("probe reason").empty());
}
