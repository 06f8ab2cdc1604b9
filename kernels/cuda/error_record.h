#pragma once
// defines: DeviceErrorOp, DeviceError, take_device_error
//
// Invalid inputs that only a kernel sees (a BCE prediction outside [0, 1], an NLL label that is
// not a class index): the kernel cannot throw, and reading a flag back after every op would cost
// a device-to-host copy and a wait per call. Instead each device has one error record that the
// kernels write (first error wins) and the host reads where it waits for the device anyway
// (copies to the host, synchronize): then the op, the element's index and its value are known,
// and the caller throws the message the CPU op would have thrown at once.
//
// The record lives in mapped page-locked host memory, so reading it is a plain load (no copy);
// only the "claimed" word the kernels race for is device memory. It is created on the device's
// first loss call, which must not be inside a CUDA graph capture (the usual warm-up step runs
// the losses once before any capture).
//
// No CUDA headers; the kernels' side is error_record.cuh.
#include <cstdint>

namespace aafgan::kernels::cuda {

enum class DeviceErrorOp : uint32_t {
  none = 0,
  bce_prediction = 1,  // value: the prediction; index: its element
  nll_label = 2,       // value: the label; index: its row; limit: the class count
};

struct DeviceError {
  DeviceErrorOp op = DeviceErrorOp::none;
  uint64_t index = 0;
  double value = 0;
  int64_t limit = 0;
};

// The error the current device recorded since the last call, if any: fills `out`, clears the
// record (its device part through a memset enqueued on `stream`, the current device's stream)
// and returns true. Call only once the device's work has been waited for; a device that never
// ran a loss has no record and returns false without any CUDA call.
bool take_device_error(DeviceError& out, void* stream);

}  // namespace aafgan::kernels::cuda
