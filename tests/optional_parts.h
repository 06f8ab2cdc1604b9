#pragma once
// Cases of an optional part (cmake/optional_parts.cmake) that is compiled into the test binary
// but may lack its library in this build begin with its skip macro (check_skip_macros.py): they
// print "skipped: <reason>" (ctest reports them as Skipped) and return. Parts whose code is not
// built at all are registered as skipped ctest entries instead (tests/CMakeLists.txt).
#include <cstdio>

#include "data/plot.h"

#define AAFGAN_REQUIRE_PLOTS_OR_SKIP()                                                         \
  do {                                                                                         \
    if (!::aafgan::data::plots_available()) {                                                  \
      std::printf("skipped: plots: %s\n", ::aafgan::data::plots_unavailable_reason().c_str()); \
      return;                                                                                  \
    }                                                                                          \
  } while (0)
