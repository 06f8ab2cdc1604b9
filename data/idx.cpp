#include "data/idx.h"

#include <zlib.h>

#include <filesystem>
#include <memory>

#include "engine/error.h"

namespace aafgan::data {

namespace {

constexpr uint8_t kTypeUnsignedByte = 0x08;

// gzread reads gzip and plain files alike, so one path serves both.
std::vector<uint8_t> read_all(const std::string& path) {
  if (!std::filesystem::exists(path)) fail("{}: no such file", path);
  std::unique_ptr<gzFile_s, int (*)(gzFile)> f(gzopen(path.c_str(), "rb"), gzclose);
  if (!f) fail("{}: cannot open", path);
  std::vector<uint8_t> out;
  uint8_t buf[1 << 16];
  for (;;) {
    const int n = gzread(f.get(), buf, sizeof buf);
    if (n < 0) {
      int code = 0;
      const char* msg = gzerror(f.get(), &code);
      fail("{}: corrupt compressed data ({})", path, msg ? msg : "unknown zlib error");
    }
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  return out;
}

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

}  // namespace

IdxArray read_idx_u8(const std::string& path, int expected_rank) {
  const std::vector<uint8_t> bytes = read_all(path);
  if (bytes.size() < 4) fail("{}: too short to be an IDX file ({} bytes)", path, bytes.size());
  if (bytes[0] != 0 || bytes[1] != 0)
    fail("{}: not an IDX file (wrong magic number 0x{:02x}{:02x}{:02x}{:02x})", path, bytes[0], bytes[1], bytes[2],
         bytes[3]);
  if (bytes[2] != kTypeUnsignedByte) fail("{}: IDX element type 0x{:02x} is not unsigned byte (0x08)", path, bytes[2]);
  const int rank = bytes[3];
  if (rank != expected_rank)
    fail("{}: IDX file has {} dimensions, expected {} (is this an {} file?)", path, rank, expected_rank,
         expected_rank == 1 ? "images file, not a labels" : "labels file, not an images");
  const size_t header = 4 + 4 * static_cast<size_t>(rank);
  if (bytes.size() < header) fail("{}: truncated IDX header", path);
  IdxArray out;
  size_t count = 1;
  for (int d = 0; d < rank; ++d) {
    const uint32_t dim = be32(&bytes[4 + 4 * static_cast<size_t>(d)]);
    out.dims.push_back(dim);
    count *= dim;
  }
  const size_t have = bytes.size() - header;
  if (have < count) fail("{}: truncated: the header promises {} values, the file holds {}", path, count, have);
  if (have > count) fail("{}: {} unexpected bytes after the {} values the header describes", path, have - count, count);
  out.values.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return out;
}

}  // namespace aafgan::data
