#pragma once
// defines: DeviceCount, device_count, compute_capability
#include <string>

namespace aafgan::kernels::cuda {

struct DeviceCount {
  int count = 0;
  std::string reason;  // why count is 0, for the "skipped: ..." lines of GPU tests
};

// Never throws: a missing driver or a toolkit newer than the driver means "no GPU".
DeviceCount device_count();

// Device `index`'s compute capability as major·10 + minor: 70 for a V100, 80 for an A100, 90
// for an H100. What a device can do (TF32 tensor cores from 80 on) follows from it. Throws
// std::runtime_error naming the device when the query fails.
int compute_capability(int index);

}  // namespace aafgan::kernels::cuda
