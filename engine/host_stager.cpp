#include "engine/host_stager.h"

#include <cstring>

#include "engine/backend.h"
#include "base/error.h"

namespace aafgan {

HostStager::HostStager(int slots) : slots_(static_cast<size_t>(slots)) {
  AAFGAN_CHECK(slots > 0, "HostStager: {} slots", slots);
}

HostStager::~HostStager() {
  for (Slot& s : slots_) {
    try {
      backend::event_synchronize(s.event);
    } catch (...) {
    }
    backend::event_destroy(s.event);
    backend::pinned_free(s.pinned);
  }
}

void HostStager::upload(void* dst, const Device& device, const void* src, size_t bytes) {
  if (bytes == 0) return;
  if (device.is_cpu()) {
    std::memcpy(dst, src, bytes);
    return;
  }
  Slot& s = slots_[next_];
  next_ = (next_ + 1) % slots_.size();
  backend::event_synchronize(s.event);  // the slot's previous copy has read it
  if (bytes > s.capacity) {
    void* p = backend::pinned_alloc(bytes);  // the old slot stays valid if this throws
    backend::pinned_free(s.pinned);
    s.pinned = p;
    s.capacity = bytes;
  }
  std::memcpy(s.pinned, src, bytes);
  backend::copy_bytes(dst, device, s.pinned, Device::cpu(), bytes);
  if (s.event && s.device == device) {
    backend::event_record(device, s.event);
  } else {
    backend::event_destroy(s.event);
    s.event = nullptr;
    s.event = backend::event_record_new(device);
    s.device = device;
  }
}

}  // namespace aafgan
