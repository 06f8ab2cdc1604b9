#include "data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "engine/error.h"

namespace aafgan::data {

namespace {

constexpr uint8_t kTypeUnsignedByte = 0x08;
// MNIST's train images are 47 M values; a header asking for more than this is not a dataset.
constexpr uint64_t kMaxIdxValues = uint64_t(1) << 32;
// Reading in chunks bounds the memory a truncated file costs (see read_idx_u8).
constexpr uint64_t kReadChunk = uint64_t(1) << 20;
// Deflate cannot compress better than about 1032:1, so a gzip file of n bytes holds at most this
// many times n bytes.
constexpr uint64_t kMaxDeflateRatio = 1032;

using GzFile = std::unique_ptr<gzFile_s, int (*)(gzFile)>;

// Up to n bytes (fewer only at the end of the data). gzread reads gzip and plain files alike.
size_t read_some(gzFile f, const std::string& path, uint8_t* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - got, size_t(1) << 30));
    const int r = gzread(f, out + got, chunk);
    if (r < 0) {
      int code = 0;
      const char* msg = gzerror(f, &code);
      fail("{}: corrupt compressed data ({})", path, msg ? msg : "unknown zlib error");
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

// At most how many bytes the file can yield: its size when plain, its size times deflate's limit
// when compressed.
uint64_t max_values_in(const std::string& path, bool plain) {
  std::error_code ec;
  const uint64_t bytes = std::filesystem::file_size(path, ec);
  if (ec) return 0;
  return plain ? bytes : bytes * kMaxDeflateRatio;
}

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

}  // namespace

IdxArray read_idx_u8(const std::string& path, int expected_rank) {
  if (!std::filesystem::exists(path)) fail("{}: no such file", path);
  GzFile f(gzopen(path.c_str(), "rb"), gzclose);
  if (!f) fail("{}: cannot open", path);
  // The header first: it bounds everything read after it, so neither a hostile header nor a
  // gzip that inflates without end can make us allocate or decompress more than it declares.
  uint8_t head[4];
  const size_t got = read_some(f.get(), path, head, 4);
  if (got < 4) fail("{}: too short to be an IDX file ({} bytes)", path, got);
  if (head[0] != 0 || head[1] != 0)
    fail("{}: not an IDX file (wrong magic number 0x{:02x}{:02x}{:02x}{:02x})", path, head[0], head[1], head[2],
         head[3]);
  if (head[2] != kTypeUnsignedByte) fail("{}: IDX element type 0x{:02x} is not unsigned byte (0x08)", path, head[2]);
  const int rank = head[3];
  if (rank != expected_rank)
    fail("{}: IDX file has {} dimensions, expected {} (is this an {} file?)", path, rank, expected_rank,
         expected_rank == 1 ? "images file, not a labels" : "labels file, not an images");
  std::vector<uint8_t> dims_raw(4 * static_cast<size_t>(rank));
  if (read_some(f.get(), path, dims_raw.data(), dims_raw.size()) < dims_raw.size())
    fail("{}: truncated IDX header", path);
  IdxArray out;
  uint64_t count = 1;
  for (int d = 0; d < rank; ++d) {
    const uint32_t dim = be32(&dims_raw[4 * static_cast<size_t>(d)]);
    out.dims.push_back(dim);
    if (dim != 0 && count > kMaxIdxValues / dim)
      fail("{}: the header's dimensions ask for more than {} values (not an MNIST file?)", path, kMaxIdxValues);
    count *= dim;
  }
  // The values arrive in chunks and the buffer grows only with data actually read: a 16-byte
  // header promising 2^32 values must not allocate (and zero) 4 GiB before the read finds the
  // file truncated. Reserving up to MNIST's size keeps real files to one allocation.
  out.values.reserve(static_cast<size_t>(std::min(count, max_values_in(path, gzdirect(f.get()) != 0))));
  size_t have = 0;
  while (have < count) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(count - have, kReadChunk));
    out.values.resize(have + want);
    const size_t got = read_some(f.get(), path, out.values.data() + have, want);
    have += got;
    if (got < want) break;
  }
  if (have < count) fail("{}: truncated: the header promises {} values, the file holds {}", path, count, have);
  // Trailing data is counted up to a bound, so a gzip that inflates without end stops here too.
  std::vector<uint8_t> extra(size_t(1) << 16);
  const size_t trailing = read_some(f.get(), path, extra.data(), extra.size());
  if (trailing == extra.size())
    fail("{}: more than {} unexpected bytes after the {} values the header describes", path, trailing, count);
  if (trailing > 0) fail("{}: {} unexpected bytes after the {} values the header describes", path, trailing, count);
  return out;
}

}  // namespace aafgan::data
