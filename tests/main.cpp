#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>

#include "tests/failure_count.h"

// ctest runs each case as `aafgan_tests --test-case=<name>`. A name that the filter does not
// match (CMake splits names at ';', doctest at unescaped ',') would run nothing and pass:
// a filter that selects no case is a failure.
int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  const int rc = context.run();
  if (context.shouldExit()) return rc;
  bool filtered = false;
  for (int i = 1; i < argc; ++i)
    filtered = filtered || std::strncmp(argv[i], "--test-case=", 12) == 0 || std::strncmp(argv[i], "-tc=", 4) == 0;
  if (rc == 0 && filtered && aafgan::testing::test_cases_run() == 0) {
    std::fprintf(stderr, "aafgan_tests: the test-case filter matched no test case\n");
    return 1;
  }
  return rc;
}
