// Built instead of the .cu files when no CUDA toolkit was found: the device query exists and
// reports no GPU, so callers need no #ifdefs.
#include "kernels/cuda/device_query.h"

namespace aafgan::kernels::cuda {

DeviceCount device_count() { return {0, "this build has no CUDA backend (configured without a CUDA toolkit)"}; }

}  // namespace aafgan::kernels::cuda
