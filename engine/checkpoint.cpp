#include "engine/checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <vector>

#include "base/durable_file.h"
#include "base/json_limits.h"
#include "base/regular_file.h"

// Tensor bytes are written as they lie in memory and the format says little-endian.
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "aafgan checkpoints assume a little-endian host"
#endif

namespace aafgan {

namespace {

constexpr char kMagic[8] = {'A', 'A', 'F', 'G', 'A', 'N', 'C', 'K'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = sizeof(kMagic) + 4 + 4 + 8;
constexpr size_t kTrailerBytes = 8 + 4;

uint32_t crc_update(uint32_t crc, const unsigned char* p, size_t n) {
  // zlib takes uInt lengths; tensors can exceed 4 GiB.
  while (n > 0) {
    const uInt chunk = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    crc = static_cast<uint32_t>(crc32(crc, p, chunk));
    p += chunk;
    n -= chunk;
  }
  return crc;
}

uint8_t dtype_code(DType t) { return t == DType::f32 ? 0 : 1; }

std::string errno_text() { return std::strerror(errno); }

// Buffered writes to a file descriptor that also keep the running length and CRC.
class Writer {
 public:
  Writer(int fd, const std::string& path) : fd_(fd), path_(path) { buf_.reserve(kBuffer); }

  void bytes(const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    crc_ = crc_update(crc_, p, n);
    length_ += n;
    if (buf_.size() + n <= kBuffer) {
      buf_.insert(buf_.end(), p, p + n);
      return;
    }
    flush();
    if (n < kBuffer)
      buf_.insert(buf_.end(), p, p + n);
    else
      write_all(p, n);
  }
  template <typename U>
  void le(U v) {
    unsigned char b[sizeof(U)];
    for (size_t i = 0; i < sizeof(U); ++i) b[i] = static_cast<unsigned char>(static_cast<uint64_t>(v) >> (8 * i));
    bytes(b, sizeof(U));
  }
  void flush() {
    write_all(buf_.data(), buf_.size());
    buf_.clear();
  }
  uint64_t length() const { return length_; }
  uint32_t crc() const { return crc_; }

 private:
  static constexpr size_t kBuffer = 1 << 20;

  void write_all(const unsigned char* p, size_t n) {
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        fail("save_checkpoint: cannot write '{}': {}", path_, errno_text());
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
  }

  int fd_;
  const std::string& path_;
  std::vector<unsigned char> buf_;
  uint64_t length_ = 0;
  uint32_t crc_ = static_cast<uint32_t>(crc32(0L, Z_NULL, 0));
};

// Bounds-checked little-endian reads over the bytes of a loaded file.
class Reader {
 public:
  Reader(const std::vector<unsigned char>& data, size_t end, const std::string& path)
      : data_(data), end_(end), path_(path) {}

  const unsigned char* bytes(size_t n, const char* what) {
    if (n > end_ - pos_) fail("checkpoint '{}' is malformed: {} runs past the end of the data", path_, what);
    const unsigned char* p = data_.data() + pos_;
    pos_ += n;
    return p;
  }
  template <typename U>
  U le(const char* what) {
    const unsigned char* b = bytes(sizeof(U), what);
    uint64_t v = 0;
    for (size_t i = 0; i < sizeof(U); ++i) v |= static_cast<uint64_t>(b[i]) << (8 * i);
    return static_cast<U>(v);
  }
  size_t pos() const { return pos_; }
  size_t remaining() const { return end_ - pos_; }

 private:
  const std::vector<unsigned char>& data_;
  size_t end_;
  size_t pos_ = 0;
  const std::string& path_;
};

uint64_t read_u64_at(const std::vector<unsigned char>& d, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v |= static_cast<uint64_t>(d[at + i]) << (8 * i);
  return v;
}

uint32_t read_u32_at(const std::vector<unsigned char>& d, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v |= static_cast<uint32_t>(d[at + i]) << (8 * i);
  return v;
}


}  // namespace

void save_checkpoint(const std::string& path, const nn::NamedTensors& gpu_or_cpu, const nlohmann::json& metadata) {
  // GPU tensors are written from host copies (a checkpoint is written once per epoch).
  nn::NamedTensors tensors;
  for (const auto& [name, t] : gpu_or_cpu)
    tensors.emplace_back(name, t.defined() && t.device().is_cuda() ? t.to(Device::cpu()) : t);
  std::set<std::string> names;
  uint64_t total = kHeaderBytes + 8 + 8 + kTrailerBytes;
  for (const auto& [name, t] : tensors) {
    AAFGAN_CHECK(!name.empty(), "save_checkpoint '{}': a tensor has an empty name", path);
    AAFGAN_CHECK(names.insert(name).second, "save_checkpoint '{}': tensor name '{}' appears twice", path, name);
    AAFGAN_CHECK(t.defined(), "save_checkpoint '{}': tensor '{}' is undefined", path, name);
    total += 4 + name.size() + 1 + 1 + 8 * static_cast<uint64_t>(t.ndim()) + t.nbytes();
  }
  std::string meta;
  try {
    meta = metadata.dump();
  } catch (const nlohmann::json::exception& e) {
    fail("save_checkpoint '{}': cannot serialise the metadata: {}", path, e.what());
  }
  total += meta.size();

  // A unique temporary, fsynced and renamed (base/durable_file.h): a kill or a full disk
  // leaves the previous checkpoint whole.
  DurableFile file(path);
  Writer w(file.fd(), file.temp_path());
  w.bytes(kMagic, sizeof(kMagic));
  w.le<uint32_t>(kVersion);
  w.le<uint32_t>(0);
  w.le<uint64_t>(total);
  w.le<uint64_t>(meta.size());
  w.bytes(meta.data(), meta.size());
  w.le<uint64_t>(tensors.size());
  for (const auto& [name, t] : tensors) {
    w.le<uint32_t>(static_cast<uint32_t>(name.size()));
    w.bytes(name.data(), name.size());
    w.le<uint8_t>(dtype_code(t.dtype()));
    w.le<uint8_t>(static_cast<uint8_t>(t.ndim()));
    for (int d = 0; d < t.ndim(); ++d) w.le<uint64_t>(static_cast<uint64_t>(t.size(d)));
    w.bytes(t.raw_data(), t.nbytes());
  }
  w.le<uint64_t>(total);
  w.le<uint32_t>(w.crc());
  w.flush();
  if (w.length() != total)  // guards the size arithmetic above, which the loader relies on
    fail("save_checkpoint '{}': wrote {} bytes, expected {}", file.temp_path(), w.length(), total);
  file.commit();
}

Checkpoint load_checkpoint(const std::string& path) {
  // Refused by type before opening: a folder reads as empty (misreported as truncation), a FIFO
  // blocks the open, a device such as /dev/zero reads without end. A regular file's size, not
  // anything it declares, bounds the one buffer read below.
  RegularFile file;
  try {
    file = open_regular_file(path);
  } catch (const Error& e) {
    fail("cannot open checkpoint {}", e.what());
  }
  std::vector<unsigned char> data(static_cast<size_t>(file.size));
  const int64_t got = read_fully(file.fd, data.data(), data.size());
  const std::string why = got < 0 ? errno_text() : "";
  ::close(file.fd);
  if (got < 0) fail("cannot read checkpoint '{}': {}", path, why);
  data.resize(static_cast<size_t>(got));  // a file that shrank since fstat is then reported as truncated
  const size_t size = data.size();

  const size_t magic_seen = std::min(size, sizeof(kMagic));
  // An empty file's data() may be null, which memcmp must not see even for 0 bytes (UBSan, found
  // by fuzz/fuzz_checkpoint); it is reported as truncated below.
  if (magic_seen > 0 && std::memcmp(data.data(), kMagic, magic_seen) != 0)
    fail("'{}' is not an aafgan checkpoint (wrong magic bytes)", path);
  if (size < kHeaderBytes + kTrailerBytes)
    fail("checkpoint '{}' is truncated: only {} bytes, too short for the header and trailer", path, size);
  const uint32_t version = read_u32_at(data, sizeof(kMagic));
  if (version != kVersion)
    fail("checkpoint '{}' has format version {}, but this build reads version {}", path, version, kVersion);
  const uint64_t declared = read_u64_at(data, sizeof(kMagic) + 8);
  if (declared != size) {
    if (size < declared) fail("checkpoint '{}' is truncated: {} of its {} bytes are present", path, size, declared);
    fail("checkpoint '{}' is corrupted: it has {} bytes but its header records {}", path, size, declared);
  }
  const size_t crc_at = size - 4;
  const uint64_t trailer_length = read_u64_at(data, crc_at - 8);
  const uint32_t stored_crc = read_u32_at(data, crc_at);
  const uint32_t actual_crc = crc_update(static_cast<uint32_t>(crc32(0L, Z_NULL, 0)), data.data(), crc_at);
  if (stored_crc != actual_crc || trailer_length != size)
    fail("checkpoint '{}' is corrupted: checksum mismatch (stored {:08x}, computed {:08x})", path, stored_crc,
         actual_crc);

  Checkpoint ck;
  ck.path = path;
  Reader r(data, size - kTrailerBytes, path);
  r.bytes(kHeaderBytes, "the header");
  const uint64_t meta_len = r.le<uint64_t>("the metadata length");
  if (meta_len > r.remaining()) fail("checkpoint '{}' is malformed: the metadata runs past the end of the data", path);
  const auto* meta = r.bytes(static_cast<size_t>(meta_len), "the metadata");
  // What the apps write is a few KiB, 3 levels deep; the limits keep a crafted file from costing
  // more than its own bytes' worth or nesting past what dumping it (into messages) survives.
  JsonLimits meta_limits;
  meta_limits.max_bytes = size_t{16} << 20;
  meta_limits.max_depth = 32;
  ck.metadata = parse_json_within(std::string_view(reinterpret_cast<const char*>(meta), static_cast<size_t>(meta_len)),
                                  fmt::format("checkpoint '{}' has unreadable metadata", path), meta_limits);
  const uint64_t count = r.le<uint64_t>("the tensor count");
  std::set<std::string> seen;
  for (uint64_t n = 0; n < count; ++n) {
    const uint32_t name_len = r.le<uint32_t>("a tensor name length");
    const auto* name_p = r.bytes(name_len, "a tensor name");
    std::string name(reinterpret_cast<const char*>(name_p), name_len);
    const uint8_t code = r.le<uint8_t>("a tensor dtype");
    if (code > 1) fail("checkpoint '{}' is malformed: tensor '{}' has unknown dtype code {}", path, name, code);
    const DType dtype = code == 0 ? DType::f32 : DType::f64;
    const uint8_t ndim = r.le<uint8_t>("a tensor rank");
    if (ndim > Shape::kMaxDims)
      fail("checkpoint '{}' is malformed: tensor '{}' has {} dimensions (at most {})", path, name, ndim,
           Shape::kMaxDims);
    std::vector<int64_t> dims(ndim);
    uint64_t bytes = dtype_size(dtype);
    bool overflow = false;
    for (auto& d : dims) {
      d = static_cast<int64_t>(r.le<uint64_t>("a tensor dimension"));
      if (d < 0) fail("checkpoint '{}' is malformed: tensor '{}' has dimension {}", path, name, d);
      overflow |= __builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes);
    }
    if (overflow || bytes > r.remaining())
      fail("checkpoint '{}' is malformed: the data of tensor '{}' runs past the end", path, name);
    Tensor t = Tensor::empty(Shape(dims), dtype);
    std::memcpy(t.raw_data(), r.bytes(static_cast<size_t>(bytes), "tensor data"), static_cast<size_t>(bytes));
    if (!seen.insert(name).second) fail("checkpoint '{}' is malformed: tensor '{}' appears twice", path, name);
    ck.tensors.emplace_back(std::move(name), std::move(t));
  }
  if (r.remaining() != 0)
    fail("checkpoint '{}' is malformed: {} unexplained bytes after the last tensor", path, r.remaining());
  return ck;
}

bool Checkpoint::contains(const std::string& name) const {
  return std::any_of(tensors.begin(), tensors.end(), [&](const auto& e) { return e.first == name; });
}

const Tensor& Checkpoint::at(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return t;
  fail("checkpoint '{}' has no tensor '{}'", path, name);
}

void load_into(const Checkpoint& ckpt, const nn::NamedTensors& targets, const std::string& prefix) {
  // Check every target first so a mismatch leaves all of them untouched.
  for (const auto& [name, target] : targets) {
    const Tensor& src = ckpt.at(prefix + name);
    AAFGAN_CHECK(target.defined() && src.shape() == target.shape(),
                 "checkpoint '{}': tensor '{}' is {} but its destination is {}", ckpt.path, prefix + name, src.str(),
                 target.str());
  }
  for (const auto& [name, target] : targets) {
    Tensor dst = target;
    dst.copy_(ckpt.at(prefix + name));
  }
}

}  // namespace aafgan
