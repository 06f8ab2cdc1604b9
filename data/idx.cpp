#include "data/idx.h"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>

#include "base/error.h"
#include "base/regular_file.h"

namespace aafgan::data {

namespace {

constexpr uint8_t kTypeUnsignedByte = 0x08;
// MNIST's train images are 47 M values; a header asking for more than this is not a dataset.
constexpr uint64_t kMaxIdxValues = uint64_t(1) << 32;
// Reading a gzip in chunks bounds the memory a truncated one costs (see read_values).
constexpr uint64_t kReadChunk = uint64_t(1) << 20;
// Deflate cannot compress better than about 1032:1, so a gzip file of n bytes holds at most this
// many times n bytes.
constexpr uint64_t kMaxDeflateRatio = 1032;

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

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

}  // namespace

struct IdxReader::Stream {
  gzFile f = nullptr;
  uint64_t file_bytes = 0;
  uint64_t header_bytes = 0;
  bool plain = false;
  ~Stream() {
    if (f) gzclose(f);
  }
};

IdxReader::IdxReader(const std::string& path, int expected_rank) : path_(path), stream_(std::make_unique<Stream>()) {
  const RegularFile file = open_regular_file(path);
  stream_->file_bytes = file.size;
  stream_->f = gzdopen(file.fd, "rb");
  if (!stream_->f) {
    ::close(file.fd);
    fail("{}: cannot open", path);
  }
  gzFile f = stream_->f;
  uint8_t head[4];
  const size_t got = read_some(f, path, head, 4);
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
  if (read_some(f, path, dims_raw.data(), dims_raw.size()) < dims_raw.size()) fail("{}: truncated IDX header", path);
  count_ = 1;
  for (int d = 0; d < rank; ++d) {
    const uint32_t dim = be32(&dims_raw[4 * static_cast<size_t>(d)]);
    dims_.push_back(dim);
    if (dim != 0 && count_ > kMaxIdxValues / dim)
      fail("{}: the header's dimensions ask for more than {} values (not an MNIST file?)", path, kMaxIdxValues);
    count_ *= dim;
  }
  stream_->header_bytes = 4 + dims_raw.size();
  stream_->plain = gzdirect(f) != 0;
  // What the file can hold is known before a byte of values is read: exactly its size when
  // plain, at most deflate's ratio times its size when compressed.
  if (stream_->plain) {
    const uint64_t holds = stream_->file_bytes > stream_->header_bytes ? stream_->file_bytes - stream_->header_bytes : 0;
    if (holds < count_) fail("{}: truncated: the header promises {} values, the file holds {}", path, count_, holds);
    if (holds > count_)
      fail("{}: {} unexpected bytes after the {} values the header describes", path, holds - count_, count_);
  } else if (count_ > stream_->file_bytes * kMaxDeflateRatio) {
    fail("{}: truncated: the header promises {} values, but a gzip file of {} bytes inflates to at most {}", path,
         count_, stream_->file_bytes, stream_->file_bytes * kMaxDeflateRatio);
  }
}

IdxReader::~IdxReader() = default;

std::vector<uint8_t> IdxReader::read_values() {
  AAFGAN_CHECK(stream_ && stream_->f, "{}: IDX values read twice", path_);
  gzFile f = stream_->f;
  std::vector<uint8_t> values;
  size_t have = 0;
  if (stream_->plain) {
    // The size was checked against the header: one allocation, one read.
    values.resize(static_cast<size_t>(count_));
    have = read_some(f, path_, values.data(), values.size());
  } else {
    // A gzip's true length shows only as it inflates: the buffer grows with the data actually
    // read, so a header promising more than the stream holds costs no more than what it holds.
    values.reserve(static_cast<size_t>(std::min<uint64_t>(count_, stream_->file_bytes * kMaxDeflateRatio)));
    while (have < count_) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(count_ - have, kReadChunk));
      values.resize(have + want);
      const size_t got = read_some(f, path_, values.data() + have, want);
      have += got;
      if (got < want) break;
    }
  }
  if (have < count_) fail("{}: truncated: the header promises {} values, the file holds {}", path_, count_, have);
  // Trailing data is counted up to a bound, so a gzip that inflates without end stops here too
  // (and a plain file that grew since it was measured is caught).
  std::vector<uint8_t> extra(size_t(1) << 16);
  const size_t trailing = read_some(f, path_, extra.data(), extra.size());
  if (trailing == extra.size())
    fail("{}: more than {} unexpected bytes after the {} values the header describes", path_, trailing, count_);
  if (trailing > 0) fail("{}: {} unexpected bytes after the {} values the header describes", path_, trailing, count_);
  stream_.reset();
  return values;
}

IdxArray read_idx_u8(const std::string& path, int expected_rank) {
  IdxReader reader(path, expected_rank);
  IdxArray out;
  out.dims = reader.dims();
  out.values = reader.read_values();
  return out;
}

}  // namespace aafgan::data
