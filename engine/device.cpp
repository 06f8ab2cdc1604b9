#include "engine/device.h"

#include <cstring>

#include "engine/backend.h"
#include "engine/host_stager.h"

namespace aafgan {

namespace {

const backend::DeviceCount& device_count() {
  static const backend::DeviceCount count = backend::device_count();
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

void synchronize(const Device& d) { backend::synchronize(d); }

std::string device_name(const Device& d) { return backend::device_name(d); }
int compute_capability(const Device& d) { return backend::compute_capability(d); }

void set_allow_tf32(bool on) { backend::set_allow_tf32(on); }
void set_deterministic(bool on) { backend::set_deterministic(on); }

// Two slots: the batch being copied and the next one, decoded while the step runs.
struct BatchUploader::Staging {
  HostStager stager{2};
};

BatchUploader::BatchUploader() : staging_(std::make_unique<Staging>()) {}
// The stager waits for the copies still reading its pinned slots before freeing them.
BatchUploader::~BatchUploader() = default;

Tensor BatchUploader::upload(const Tensor& host, const Device& device) {
  AAFGAN_CHECK(host.device().is_cpu(), "BatchUploader: {} is not a host tensor", host.str());
  if (device.is_cpu()) return host;
  Tensor out = Tensor::empty(host.shape(), host.dtype(), device);
  staging_->stager.upload(out.raw_data(), device, host.raw_data(), host.nbytes());
  return out;
}

}  // namespace aafgan
