#include "engine/device.h"

#include "kernels/cuda/device_context.h"
#include "kernels/cuda/device_query.h"

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

void* cuda_stream(const Device& d) {
  AAFGAN_CHECK(d.is_cuda(), "cuda_stream: {} is not a CUDA device", d.str());
  kernels::cuda::set_device(d.index);
  return kernels::cuda::context_stream();
}

void synchronize(const Device& d) {
  if (!d.is_cuda()) return;
  kernels::cuda::set_device(d.index);
  kernels::cuda::synchronize();
}

void set_allow_tf32(bool on) { kernels::cuda::set_allow_tf32(on); }
void set_deterministic(bool on) { kernels::cuda::set_deterministic(on); }

}  // namespace aafgan
