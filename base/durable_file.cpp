#include "base/durable_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "base/error.h"

namespace aafgan {

namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

// "<name>.tmp.<pid>.<n>": unique per process and write, recognisable as ours when stale.
std::string temp_name(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

// The pid in a temporary's name after "<target>.tmp.", if `rest` is "<pid>.<n>"; else -1.
long temp_pid(const std::string& rest) {
  const size_t dot = rest.find('.');
  if (dot == 0 || dot == std::string::npos || dot + 1 == rest.size()) return -1;
  const auto digits = [](const std::string& s) { return s.find_first_not_of("0123456789") == std::string::npos; };
  if (!digits(rest.substr(0, dot)) || !digits(rest.substr(dot + 1))) return -1;
  return std::strtol(rest.c_str(), nullptr, 10);
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
    const long pid = temp_pid(name.substr(prefix.size()));
    if (pid < 0) continue;  // not one of ours ("a.csv.tmp.notes")
    if (pid == 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)) fs::remove(entry.path(), ec);
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
  // A stale temporary can carry this very name: a killed process's, whose pid is now ours.
  for (int tries = 0; fd_ < 0 && errno == EEXIST && tries < 100; ++tries) {
    temp_ = temp_name(path_);
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  }
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

int remove_temps_under(const std::string& dir) {
  std::vector<fs::path> doomed;  // collected first: no removal while the folder is being read
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::error_code entry_ec;  // an entry gone meanwhile is skipped, not the end of the walk
    if (!it->is_regular_file(entry_ec)) continue;
    const std::string name = it->path().filename().string();
    const size_t at = name.rfind(".tmp.");
    const long pid = at == std::string::npos || at == 0 ? -1 : temp_pid(name.substr(at + 5));
    const bool old_png_temp = name.size() > 8 && name.compare(name.size() - 8, 8, ".png.tmp") == 0;
    if (pid >= 0 || old_png_temp) doomed.push_back(it->path());
  }
  int removed = 0;
  for (const fs::path& p : doomed) removed += fs::remove(p, ec) ? 1 : 0;
  return removed;
}

}  // namespace aafgan
