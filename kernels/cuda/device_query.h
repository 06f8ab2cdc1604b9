#pragma once
// defines: DeviceCount, device_count
#include <string>

namespace aafgan::kernels::cuda {

struct DeviceCount {
  int count = 0;
  std::string reason;  // why count is 0, for the "skipped: ..." lines of GPU tests
};

// Never throws: a missing driver or a toolkit newer than the driver means "no GPU".
DeviceCount device_count();

}  // namespace aafgan::kernels::cuda
