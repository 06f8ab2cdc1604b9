#include "engine/durable_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "engine/error.h"

namespace aafgan {

namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

// "<name>.tmp.<pid>.<n>": unique per process and write, recognisable as ours when stale.
std::string temp_name(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

// Temporaries of `path` whose process is gone (a kill mid-write); a live writer's are kept.
void remove_stale_temps(const std::string& path) {
  const fs::path target(path);
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  const std::string prefix = target.filename().string() + ".tmp.";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string rest = name.substr(prefix.size());
    const long pid = std::strtol(rest.c_str(), nullptr, 10);
    if (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)) fs::remove(entry.path(), ec);
  }
}

void sync_dir_of(const std::string& path) {
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // the data is safe; only the rename's durability is left to the kernel
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

DurableFile::DurableFile(std::string path) : path_(std::move(path)), temp_(temp_name(path_)) {
  remove_stale_temps(path_);
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot create '{}': {}", temp_, errno_text());
}

DurableFile::~DurableFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!temp_.empty()) ::unlink(temp_.c_str());
}

void DurableFile::write(const void* data, size_t n) {
  AAFGAN_CHECK(fd_ >= 0, "write to '{}' after commit", path_);
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd_, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fail("cannot write '{}': {}", temp_, w < 0 ? errno_text() : std::string("no progress"));
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void DurableFile::commit() {
  AAFGAN_CHECK(fd_ >= 0, "'{}' committed twice", path_);
  if (::fsync(fd_) != 0) fail("cannot sync '{}': {}", temp_, errno_text());
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("cannot close '{}': {}", temp_, errno_text());
  if (std::rename(temp_.c_str(), path_.c_str()) != 0) fail("cannot rename '{}' to '{}': {}", temp_, path_, errno_text());
  temp_.clear();
  sync_dir_of(path_);
}

void write_file_durably(const std::string& path, const std::string& text) {
  DurableFile f(path);
  f.write(text.data(), text.size());
  f.commit();
}

}  // namespace aafgan
