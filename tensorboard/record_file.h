#pragma once
// TFRecord framing, the container of TensorBoard's event files: each record is
//   uint64 length, uint32 masked CRC-32C of those 8 bytes, the data, uint32 masked CRC-32C of it
// (little endian). A reader stops at the first record that is incomplete or fails a check, so a
// file cut short by a kill or a full disk still reads up to its last whole record.
#include <cstdint>
#include <string>
#include <vector>

namespace aafgan::tb {

// `payload` framed as one record.
std::string frame_record(const std::string& payload);

struct RecordScan {
  std::vector<std::string> payloads;  // the whole records, in order
  std::vector<uint64_t> ends;         // the byte offset just after each
  uint64_t file_bytes = 0;
  // Why reading stopped before the end of the file ("" when it did not): a truncated record, a
  // failed CRC, an implausible length.
  std::string damage;
  uint64_t whole_bytes() const { return ends.empty() ? 0 : ends.back(); }
};

// Every whole record of the file at `path`; throws aafgan::Error when it cannot be read.
RecordScan scan_records(const std::string& path);

}  // namespace aafgan::tb
