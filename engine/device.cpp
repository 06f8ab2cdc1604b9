#include "engine/device.h"

#include <cstring>

#include "kernels/cuda/device_context.h"
#include "kernels/cuda/device_query.h"
#include "kernels/cuda/pinned_memory.h"

namespace aafgan {

namespace {

const kernels::cuda::DeviceCount& device_count() {
  static const kernels::cuda::DeviceCount count = kernels::cuda::device_count();
  return count;
}

}  // namespace

bool cuda_available() { return device_count().count > 0; }

std::string cuda_unavailable_reason() { return cuda_available() ? std::string() : device_count().reason; }

Device parse_device(const std::string& name) {
  if (name == "cpu") return Device::cpu();
  if (name == "auto") return cuda_available() ? Device::cuda(0) : Device::cpu();
  int index = 0;
  if (name.rfind("cuda:", 0) == 0) {
    try {
      size_t used = 0;
      index = std::stoi(name.substr(5), &used);
      if (used != name.size() - 5 || index < 0) throw std::invalid_argument(name);
    } catch (const std::exception&) {
      fail("device \"{}\": expected cuda:N with N a device index", name);
    }
  } else if (name != "cuda") {
    fail("device \"{}\": expected auto, cpu, cuda or cuda:N", name);
  }
  if (!cuda_available()) fail("device {}: no usable GPU ({})", name, cuda_unavailable_reason());
  if (index >= device_count().count)
    fail("device {}: only {} GPU(s) visible (indices 0 to {})", name, device_count().count, device_count().count - 1);
  return Device::cuda(index);
}

void make_current(const Device& d) {
  AAFGAN_CHECK(d.is_cuda(), "make_current: {} is not a CUDA device", d.str());
  // Every op and allocation comes through here: cudaGetDevice is a cheap thread-local read,
  // while set_device also validates the index with cudaGetDeviceCount.
  if (kernels::cuda::current_device() != d.index) kernels::cuda::set_device(d.index);
}

void* cuda_stream(const Device& d) {
  make_current(d);
  return kernels::cuda::context_stream();
}

void synchronize(const Device& d) {
  if (!d.is_cuda()) return;
  make_current(d);
  kernels::cuda::synchronize();
}

void set_allow_tf32(bool on) { kernels::cuda::set_allow_tf32(on); }
void set_deterministic(bool on) { kernels::cuda::set_deterministic(on); }

struct BatchUploader::Staging {
  kernels::cuda::PinnedBuffer buffers[2];
  bool pending[2] = {false, false};
  void* streams[2] = {nullptr, nullptr};
  int next = 0;
};

BatchUploader::BatchUploader() : staging_(std::make_unique<Staging>()) {}
BatchUploader::~BatchUploader() = default;

Tensor BatchUploader::upload(const Tensor& host, const Device& device) {
  AAFGAN_CHECK(host.device().is_cpu(), "BatchUploader: {} is not a host tensor", host.str());
  if (device.is_cpu()) return host;
  Staging& s = *staging_;
  const int k = s.next;
  s.next = 1 - k;
  if (s.pending[k]) kernels::cuda::stream_synchronize(s.streams[k]);  // its last copy must have read it
  void* stream = cuda_stream(device);
  s.buffers[k].reserve(host.nbytes());
  std::memcpy(s.buffers[k].data(), host.raw_data(), host.nbytes());
  Tensor out = Tensor::empty(host.shape(), host.dtype(), device);
  kernels::cuda::copy_to_device_async(out.raw_data(), s.buffers[k].data(), host.nbytes(), stream);
  s.pending[k] = true;
  s.streams[k] = stream;
  return out;
}

}  // namespace aafgan
