#pragma once
// The kernels' side of error_record.h: where a kernel writes an invalid input, and the host call
// that hands a launcher the current device's record. Included by .cu files only.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/error_record.h"

namespace aafgan::kernels::cuda {

// The record as the host reads it (mapped page-locked memory). `op` is written last, so a
// non-zero op means the other fields are complete.
struct ErrorRecordFields {
  uint32_t op;
  uint32_t unused;
  uint64_t index;
  double value;
  int64_t limit;
};

struct ErrorSlot {
  unsigned int* claimed;             // device memory, 0 while nothing is recorded
  volatile ErrorRecordFields* rec;   // the mapped host record, as the device addresses it
};

// Records (op, index, value, limit) unless an error is already recorded: the first to claim the
// slot wins, the others return. Integer atomics only; nothing is summed.
__device__ __forceinline__ void record_error(const ErrorSlot& slot, DeviceErrorOp op, uint64_t index, double value,
                                             int64_t limit) {
  if (atomicCAS(slot.claimed, 0u, 1u) != 0u) return;
  slot.rec->index = index;
  slot.rec->value = value;
  slot.rec->limit = limit;
  __threadfence_system();  // the fields reach host memory before the op that marks them valid
  slot.rec->op = static_cast<uint32_t>(op);
}

// The current device's slot, created on first use (outside graph capture: the creation waits on
// `stream`). Throws std::runtime_error naming the CUDA call that failed.
ErrorSlot error_slot(cudaStream_t stream);

}  // namespace aafgan::kernels::cuda
