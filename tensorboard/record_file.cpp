#include "tensorboard/record_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"
#include "base/regular_file.h"
#include "tensorboard/crc32c.h"

namespace aafgan::tb {

namespace {

// No record aafgan writes comes near this; a larger length is damage, not a record to allocate.
constexpr uint64_t kMaxRecordBytes = uint64_t(1) << 30;
// A run's log holds a few scalars per batch and one image per epoch: megabytes, not gigabytes.
constexpr uint64_t kMaxEventFileBytes = uint64_t(1) << 30;

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint64_t get_le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

}  // namespace

std::string frame_record(const std::string& payload) {
  std::string out;
  out.reserve(payload.size() + 16);
  put_le(out, payload.size(), 8);
  put_le(out, masked_crc32c(out.data(), 8), 4);
  out += payload;
  put_le(out, masked_crc32c(payload.data(), payload.size()), 4);
  return out;
}

RecordScan scan_records(const std::string& path) {
  // A regular file of at most a run's log: a FIFO would block and a device never ends, and the
  // whole file is held in memory (issue 22: every reader has a budget).
  const RegularFile file = open_regular_file(path);
  const auto close_file = [&] { ::close(file.fd); };
  if (file.size > kMaxEventFileBytes) {
    close_file();
    fail("event file '{}': {} bytes, more than a run's log holds (at most {} MiB read)", path, file.size,
         kMaxEventFileBytes >> 20);
  }
  std::string bytes(file.size, '\0');
  // A file cut while being read is scanned as far as it goes.
  const int64_t got = read_fully(file.fd, bytes.data(), bytes.size());
  const int error = got < 0 ? errno : 0;
  close_file();
  AAFGAN_CHECK(error == 0, "cannot read event file '{}': {}", path, std::strerror(error));
  bytes.resize(static_cast<size_t>(got));
  RecordScan scan;
  scan.file_bytes = bytes.size();
  uint64_t at = 0;
  while (at < bytes.size()) {
    const uint64_t left = bytes.size() - at;
    if (left < 12) {
      scan.damage = fmt::format("a truncated record header at byte {}", at);
      break;
    }
    const char* p = bytes.data() + at;
    if (get_le(p + 8, 4) != masked_crc32c(p, 8)) {
      scan.damage = fmt::format("a record length that fails its CRC at byte {}", at);
      break;
    }
    const uint64_t n = get_le(p, 8);
    if (n > kMaxRecordBytes) {
      scan.damage = fmt::format("an implausible record length {} at byte {}", n, at);
      break;
    }
    if (left - 12 < n + 4) {
      scan.damage = fmt::format("a truncated record of {} bytes at byte {}", n, at);
      break;
    }
    if (get_le(p + 12 + n, 4) != masked_crc32c(p + 12, n)) {
      scan.damage = fmt::format("a record whose data fails its CRC at byte {}", at);
      break;
    }
    scan.payloads.emplace_back(p + 12, n);
    at += 16 + n;
    scan.ends.push_back(at);
  }
  return scan;
}

}  // namespace aafgan::tb
