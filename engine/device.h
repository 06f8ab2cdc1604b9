#pragma once
// Which devices this process can use, and what the apps ask of them. The per-device stream every
// CUDA op enqueues on (one per device, so work runs in issue order and the caching allocator may
// recycle a freed block at once) is engine/backend's.
#include <memory>
#include <string>

#include "engine/dtype.h"
#include "engine/tensor.h"

namespace aafgan {

// Whether a CUDA device is usable (the build has the backend, a driver and a GPU exist); the
// answer is computed once. Never throws.
bool cuda_available();
// Why cuda_available() is false ("this build has no CUDA backend", the driver's message, ...).
std::string cuda_unavailable_reason();

// "auto" (the GPU when one is usable, else the CPU), "cpu" or "cuda"/"cuda:N". "cuda" without a
// usable GPU is an error that says why.
Device parse_device(const std::string& name);

// Waits for all work enqueued on `d` (a no-op for the CPU): where asynchronous GPU faults
// surface, and what timing code calls before reading a clock.
void synchronize(const Device& d);
// "cpu", or the GPU's name ("NVIDIA H200").
std::string device_name(const Device& d);
// A GPU's compute capability as major·10 + minor (70 for a V100, 80 for an A100, 90 for an
// H100), which says what it can do: TF32 tensor cores from 80 on. 0 for the CPU.
int compute_capability(const Device& d);

// Uploads host batches to a GPU through pinned staging buffers: the copy is asynchronous on
// the device's stream, so the host can prepare the next batch while the GPU works. Two buffers
// alternate; before one is refilled, the copy that last read it is waited for (an event-free
// stream sync, cheap because a training step synchronises when it reads its losses anyway).
class BatchUploader {
 public:
  BatchUploader();
  // Waits for the copies still reading the staging buffers, then frees them; never throws.
  ~BatchUploader();
  BatchUploader(const BatchUploader&) = delete;
  BatchUploader& operator=(const BatchUploader&) = delete;
  // `host` on the CPU; the result on `device` (a CPU device returns `host` itself).
  Tensor upload(const Tensor& host, const Device& device);

 private:
  struct Staging;
  std::unique_ptr<Staging> staging_;
};

// Process-wide GPU numerics switches (kernels/cuda/device_context.h): TF32 tensor cores for
// f32 GEMMs and convolutions (default off), deterministic convolution algorithms (default off).
void set_allow_tf32(bool on);
void set_deterministic(bool on);

}  // namespace aafgan
