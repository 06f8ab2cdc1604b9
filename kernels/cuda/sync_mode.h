#pragma once
// defines: parse_sync_setting, sync_each_op, set_sync_each_op, sync_check
//
// The fault-locality debug mode. Kernels run asynchronously, so a kernel that faults is reported
// by whichever CUDA call happens to wait next, often a host copy in an unrelated op. With
// AAFGAN_CUDA_SYNC=1 in the environment every op of kernels/cuda waits for the device right after
// enqueuing its work and throws naming the op, its dtype and its shapes. It costs a
// synchronisation per launch: for debugging only.
//
// While the context stream is being captured into a CUDA graph the wait is skipped (waiting
// would invalidate the capture); the captured work is checked when the graph is launched.
//
// parse_sync_setting is plain C++ (no CUDA), so builds without CUDA can test it; the rest is
// defined in sync_mode.cu.
#include <stdexcept>
#include <string>

namespace aafgan::kernels::cuda {

// The mode a value of AAFGAN_CUDA_SYNC asks for: unset, "" or "0" off, "1" on. Any other value
// is an error that names it, rather than a silent guess.
inline bool parse_sync_setting(const char* value) {
  if (value == nullptr || value[0] == '\0') return false;
  const std::string v(value);
  if (v == "0") return false;
  if (v == "1") return true;
  throw std::invalid_argument("AAFGAN_CUDA_SYNC=\"" + v + "\": expected 1 (wait after every CUDA op) or 0 (off)");
}

// Whether the mode is on: AAFGAN_CUDA_SYNC, read on the first call, unless set_sync_each_op
// changed it since. Cheap enough to ask after every launch.
bool sync_each_op();
// Turns the mode on or off for the whole process (tests, or code that debugs one region).
void set_sync_each_op(bool on);

// In the mode, after work described by `what` ("sum_rows_kernel<f32> (outer=1, size=9, inner=1)")
// was enqueued: waits for the current device and throws
// "AAFGAN_CUDA_SYNC=1: <what> failed on the device: <CUDA's message>" if any of its work failed.
// Callers ask sync_each_op() first, so `what` is only built in the mode.
void sync_check(const std::string& what);

}  // namespace aafgan::kernels::cuda
