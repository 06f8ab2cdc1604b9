#pragma once
#include <cstdint>

namespace aafgan::kernels {

// How a kernel combines its result with what the output buffer already holds: overwrite it
// (beta = 0: the old contents are never read, even NaN is fine) or add to it (beta = 1, e.g.
// accumulating a gradient).
enum class WriteMode { overwrite, accumulate };

}  // namespace aafgan::kernels
