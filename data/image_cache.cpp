#include "data/image_cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "base/durable_file.h"
#include "base/error.h"
#include "base/regular_file.h"

namespace aafgan::data {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'A', 'A', 'F', 'G', 'A', 'N', 'I', 'C'};
// 2 adds the folder entries not used (lines that begin with a tab); version 1 files still read.
constexpr uint32_t kVersion = 2;
constexpr uint32_t kOldestVersion = 1;
constexpr size_t kFixedHeader = 64;
constexpr size_t kAlign = 4096;
constexpr size_t kHeaderCrcAt = 56;
// The preprocessing of image_preprocess.cpp / image_resize.cpp; bump when its output changes.
constexpr const char* kPreprocessingVersion = "center-square crop, triangle-filter resize v1";
constexpr const char* kWhatToDo = "delete it to rebuild it from the images, or pass another --cache path";

void put_u32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}
void put_u64(std::vector<uint8_t>& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t get_u32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// zlib's crc32 returns the initial value for a null buffer, so empty spans are skipped.
uint32_t crc(uint32_t state, const uint8_t* data, size_t n) {
  return n == 0 ? state : static_cast<uint32_t>(crc32_z(state, data, n));
}

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\t', ' ');
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

// One line per skipped file: path TAB reason (tabs and newlines inside become spaces); then one
// line per reason of the folder entries not used: TAB reason TAB count TAB first path TAB detail
// (a path is never empty, so a leading tab cannot be a skipped file).
std::string skipped_text(const ImageDataset& ds) {
  std::string out;
  for (const SkippedImage& s : ds.skipped) out += one_line(s.path) + "\t" + one_line(s.reason) + "\n";
  for (const UnusedEntries& u : ds.unused)
    out += fmt::format("\t{}\t{}\t{}\t{}\n", one_line(u.reason), u.count, one_line(u.first_path),
                       one_line(u.first_detail));
  return out;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  size_t at = 0;
  for (;;) {
    const size_t tab = line.find('\t', at);
    fields.push_back(line.substr(at, tab == std::string::npos ? std::string::npos : tab - at));
    if (tab == std::string::npos) return fields;
    at = tab + 1;
  }
}

void parse_skipped(const std::string& text, ImageDataset& ds) {
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(at, end - at);
    at = end + 1;
    if (!line.empty() && line[0] == '\t') {
      const std::vector<std::string> f = split_tabs(line);
      if (f.size() == 5) {
        ds.unused.push_back({f[1], std::strtoll(f[2].c_str(), nullptr, 10), f[3], f[4]});
      }
      continue;
    }
    const size_t tab = line.find('\t');
    ds.skipped.push_back({line.substr(0, tab), tab == std::string::npos ? "" : line.substr(tab + 1)});
  }
}

struct Mapping {
  void* addr = MAP_FAILED;
  size_t length = 0;
  ~Mapping() {
    if (addr != MAP_FAILED) ::munmap(addr, length);
  }
};

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string CacheFingerprint::text() const {
  return fmt::format("kind={} dir={} split={} max_images={} channels={} size={} preprocessing={}", kind, directory,
                     split, max_images, channels, size, preprocessing);
}

CacheFingerprint make_cache_fingerprint(const std::string& kind, const std::string& dir, const std::string& split,
                                        int channels, const ImageLoadOptions& options) {
  CacheFingerprint f;
  f.kind = kind;
  if (dir.empty() || dir == "-") {  // no folder (generated data)
    f.directory = dir;
  } else {
    std::error_code ec;
    fs::path p = fs::weakly_canonical(fs::absolute(dir), ec);
    if (ec) p = fs::absolute(dir).lexically_normal();
    f.directory = p.string();
    while (f.directory.size() > 1 && f.directory.back() == '/') f.directory.pop_back();
  }
  f.split = split;
  f.max_images = options.max_images;
  f.channels = channels;
  f.size = options.size;
  f.preprocessing = fmt::format("{}, dct={}", kPreprocessingVersion, dct_scaling_name(options.dct_scaling));
  return f;
}

void write_image_cache(const std::string& path, const ImageDataset& ds, const CacheFingerprint& fingerprint) {
  AAFGAN_CHECK(!ds.has_labels() || static_cast<int64_t>(ds.labels.size()) == ds.count,
               "cache '{}': {} labels for {} images", path, ds.labels.size(), ds.count);
  const std::string fp = fingerprint.text();
  const std::string sk = skipped_text(ds);
  AAFGAN_CHECK(fp.size() < (1u << 30) && sk.size() < (1u << 30), "cache '{}': header text too long", path);
  const size_t header_bytes = (kFixedHeader + fp.size() + sk.size() + kAlign - 1) / kAlign * kAlign;
  std::vector<uint8_t> labels;
  if (ds.has_labels()) {
    labels.resize(ds.labels.size() * 4);
    for (size_t i = 0; i < ds.labels.size(); ++i) put_u32(labels, 4 * i, static_cast<uint32_t>(ds.labels[i]));
  }
  const uint64_t payload_bytes = ds.bytes() + labels.size();
  uint32_t payload_crc = crc(0, ds.data(), ds.bytes());
  payload_crc = crc(payload_crc, labels.data(), labels.size());

  std::vector<uint8_t> header(header_bytes, 0);
  std::memcpy(header.data(), kMagic, 8);
  put_u32(header, 8, kVersion);
  put_u32(header, 12, static_cast<uint32_t>(header_bytes));
  put_u64(header, 16, static_cast<uint64_t>(ds.count));
  put_u32(header, 24, static_cast<uint32_t>(ds.channels));
  put_u32(header, 28, static_cast<uint32_t>(ds.size));
  put_u32(header, 32, ds.has_labels() ? 1 : 0);
  put_u32(header, 36, static_cast<uint32_t>(fp.size()));
  put_u32(header, 40, static_cast<uint32_t>(sk.size()));
  put_u32(header, 44, payload_crc);
  put_u64(header, 48, payload_bytes);
  std::memcpy(header.data() + kFixedHeader, fp.data(), fp.size());
  std::memcpy(header.data() + kFixedHeader + fp.size(), sk.data(), sk.size());
  put_u32(header, kHeaderCrcAt, crc(0, header.data(), header.size()));

  try {
    DurableFile out(path);
    out.write(header.data(), header.size());
    out.write(ds.data(), ds.bytes());
    out.write(labels.data(), labels.size());
    out.commit();
  } catch (const Error& e) {
    fail("cache {}: {}", path, e.what());
  }
}

ImageDataset open_image_cache(const std::string& path, const CacheFingerprint& expected, bool verify_payload) {
  Fd f;
  // Refused by type before opening: a FIFO would block the open, a device has no size to map.
  try {
    f.fd = open_regular_file(path).fd;
  } catch (const Error& e) {
    fail("cache {}", e.what());
  }
  struct stat st;
  if (::fstat(f.fd, &st) != 0) fail("cache {}: cannot stat: {}", path, std::strerror(errno));
  const auto file_bytes = static_cast<uint64_t>(st.st_size);
  if (file_bytes < kFixedHeader)
    fail("cache {} is truncated ({} bytes, shorter than its header): {}", path, file_bytes, kWhatToDo);

  auto map = std::make_shared<Mapping>();
  map->length = static_cast<size_t>(file_bytes);
  map->addr = ::mmap(nullptr, map->length, PROT_READ, MAP_PRIVATE, f.fd, 0);
  if (map->addr == MAP_FAILED) fail("cache {}: cannot map it: {}", path, std::strerror(errno));
  const auto* base = static_cast<const uint8_t*>(map->addr);

  if (std::memcmp(base, kMagic, 8) != 0)
    fail("{} is not an aafgan image cache (wrong magic): pass another --cache path (or delete it if it is a stale "
         "cache)", path);
  const uint32_t version = get_u32(base + 8);
  if (version < kOldestVersion || version > kVersion)
    fail("cache {} has format version {}, this build reads versions {} to {}: {}", path, version, kOldestVersion,
         kVersion, kWhatToDo);
  const uint64_t header_bytes = get_u32(base + 12);
  if (header_bytes < kFixedHeader || header_bytes % kAlign != 0)
    fail("cache {} has a corrupt header (header size {}): {}", path, header_bytes, kWhatToDo);
  if (file_bytes < header_bytes)
    fail("cache {} is truncated ({} bytes, shorter than its {}-byte header): {}", path, file_bytes, header_bytes,
         kWhatToDo);
  {
    std::vector<uint8_t> header(base, base + header_bytes);
    put_u32(header, kHeaderCrcAt, 0);
    if (crc(0, header.data(), header.size()) != get_u32(base + kHeaderCrcAt))
      fail("cache {} has a corrupt header (CRC mismatch): {}", path, kWhatToDo);
  }
  const auto count = static_cast<int64_t>(get_u64(base + 16));
  const auto channels = static_cast<int>(get_u32(base + 24));
  const auto size = static_cast<int>(get_u32(base + 28));
  const bool has_labels = get_u32(base + 32) != 0;
  const uint32_t fp_bytes = get_u32(base + 36), sk_bytes = get_u32(base + 40);
  const uint32_t payload_crc = get_u32(base + 44);
  const uint64_t payload_bytes = get_u64(base + 48);
  if (kFixedHeader + uint64_t{fp_bytes} + sk_bytes > header_bytes || count < 0 || channels < 1 || channels > 4 ||
      size < 1 || size > 4096)
    fail("cache {} has a corrupt header (inconsistent fields): {}", path, kWhatToDo);

  const std::string found(reinterpret_cast<const char*>(base + kFixedHeader), fp_bytes);
  const std::string asked = expected.text();
  if (found != asked)
    fail("cache {} was made from a different dataset or settings:\n  cache:   {}\n  this run: {}\n{}", path, found, asked,
         kWhatToDo);

  // The numbers used below must be the ones the fingerprint text promised, and the count must fit
  // the file before it is multiplied (a crafted header could otherwise wrap the product).
  if (channels != expected.channels || size != expected.size || (expected.max_images > 0 && count > expected.max_images))
    fail("cache {} has a corrupt header ({} images of {} channels, {}×{}, for a request of {} channels, {}×{}): {}",
         path, count, channels, size, size, expected.channels, expected.size, expected.size, kWhatToDo);
  const uint64_t image_bytes = uint64_t(channels) * uint64_t(size) * uint64_t(size);
  if (uint64_t(count) > file_bytes / image_bytes)
    fail("cache {} has a corrupt header ({} images cannot fit its {} bytes): {}", path, count, file_bytes, kWhatToDo);
  const uint64_t want_payload = uint64_t(count) * image_bytes + (has_labels ? uint64_t(count) * 4 : 0);
  if (payload_bytes != want_payload)
    fail("cache {} has a corrupt header (payload of {} bytes for {} images): {}", path, payload_bytes, count, kWhatToDo);
  if (file_bytes != header_bytes + payload_bytes)
    fail("cache {} is {} ({} bytes, the header promises {}): {}", path,
         file_bytes < header_bytes + payload_bytes ? "truncated" : "longer than its header says", file_bytes,
         header_bytes + payload_bytes, kWhatToDo);
  const uint8_t* payload = base + header_bytes;
  if (verify_payload && crc(0, payload, payload_bytes) != payload_crc)
    fail("cache {} is corrupt (the payload's CRC32 does not match): {}", path, kWhatToDo);

  ImageDataset ds(count, channels, size, map, payload, true);
  if (has_labels) {
    const uint8_t* l = payload + uint64_t(count) * image_bytes;
    ds.labels.resize(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) ds.labels[static_cast<size_t>(i)] = static_cast<int32_t>(get_u32(l + 4 * i));
  }
  parse_skipped(std::string(reinterpret_cast<const char*>(base + kFixedHeader + fp_bytes), sk_bytes), ds);
  return ds;
}

ImageDataset load_or_create_cache(const std::string& path, const CacheFingerprint& fingerprint,
                                  const std::function<ImageDataset()>& build, bool* used_cache, bool verify_payload) {
  if (fs::exists(path)) {
    if (used_cache) *used_cache = true;
    return open_image_cache(path, fingerprint, verify_payload);
  }
  if (used_cache) *used_cache = false;
  write_image_cache(path, build(), fingerprint);
  return open_image_cache(path, fingerprint, false);
}

}  // namespace aafgan::data
