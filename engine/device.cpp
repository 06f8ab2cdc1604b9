#include "engine/device.h"

#include <cstring>

#include "engine/backend.h"

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

void set_allow_tf32(bool on) { backend::set_allow_tf32(on); }
void set_deterministic(bool on) { backend::set_deterministic(on); }

// Host memory the GPU can copy from asynchronously, grown on demand.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  ~PinnedBuffer() { backend::pinned_free(ptr_); }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  void reserve(size_t bytes) {
    if (bytes <= capacity_) return;
    void* p = backend::pinned_alloc(bytes);  // the old buffer stays if this throws
    backend::pinned_free(ptr_);
    ptr_ = p;
    capacity_ = bytes;
  }
  void* data() const { return ptr_; }

 private:
  void* ptr_ = nullptr;
  size_t capacity_ = 0;
};

struct BatchUploader::Staging {
  PinnedBuffer buffers[2];
  bool pending[2] = {false, false};
  void* streams[2] = {nullptr, nullptr};
  int next = 0;
};

BatchUploader::BatchUploader() : staging_(std::make_unique<Staging>()) {}
BatchUploader::~BatchUploader() {
  // A copy enqueued by upload() may still be reading a staging buffer; freeing the page-locked
  // memory under it would let the DMA read freed (or reused) pages. Wait for each such copy
  // first; a wait that fails (a device already in error) cannot be reported from here.
  for (int k = 0; k < 2; ++k) {
    if (!staging_->pending[k]) continue;
    try {
      backend::stream_synchronize(staging_->streams[k]);
    } catch (...) {
    }
  }
}

Tensor BatchUploader::upload(const Tensor& host, const Device& device) {
  AAFGAN_CHECK(host.device().is_cpu(), "BatchUploader: {} is not a host tensor", host.str());
  if (device.is_cpu()) return host;
  Staging& s = *staging_;
  const int k = s.next;
  s.next = 1 - k;
  if (s.pending[k]) backend::stream_synchronize(s.streams[k]);  // its last copy must have read it
  void* stream = backend::stream(device);
  s.buffers[k].reserve(host.nbytes());
  std::memcpy(s.buffers[k].data(), host.raw_data(), host.nbytes());
  Tensor out = Tensor::empty(host.shape(), host.dtype(), device);
  backend::copy_bytes(out.raw_data(), device, s.buffers[k].data(), Device::cpu(), host.nbytes());
  s.pending[k] = true;
  s.streams[k] = stream;
  return out;
}

}  // namespace aafgan
