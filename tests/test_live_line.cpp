// The live progress line (training/live_line.h); tests/check_live_line.py runs a real training run
// on a pseudo-terminal and reads the screen a terminal would show.
#include <doctest/doctest.h>

#include "training/live_line.h"

using aafgan::models::fit_to_columns;

TEST_CASE("live line: text is cut to the terminal's columns, by characters, not bytes") {
  CHECK(fit_to_columns("epoch 1/2", 80) == "epoch 1/2");
  CHECK(fit_to_columns("epoch 1/2", 5) == "epoch");
  CHECK(fit_to_columns("epoch 1/2", 0).empty());
  CHECK(fit_to_columns("", 3).empty());
  // "×" and "λ" are two bytes each, one column each.
  CHECK(fit_to_columns("3×λ=1", 3) == "3×λ");
  CHECK(fit_to_columns("3×λ=1", 5) == "3×λ=1");
}
