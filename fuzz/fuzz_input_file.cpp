#include "fuzz/fuzz_input_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

namespace aafgan::fuzz {

namespace {

// A harness that cannot write its input would silently test nothing: stop loudly instead.
[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "fuzz harness: %s: %s\n", what.c_str(), std::strerror(errno));
  std::abort();
}

struct TempFiles {
  std::map<std::string, std::string> paths;  // tag -> path
  ~TempFiles() {
    for (const auto& [tag, path] : paths) ::unlink(path.c_str());
  }
};

TempFiles& temp_files() {
  static TempFiles files;
  return files;
}

}  // namespace

const std::string& write_input_file(const char* tag, const uint8_t* data, size_t size) {
  auto& paths = temp_files().paths;
  auto it = paths.find(tag);
  if (it == paths.end()) {
    const char* dir = std::getenv("TMPDIR");
    std::string pattern = std::string(dir && *dir ? dir : "/tmp") + "/aafgan_fuzz_" + tag + "_XXXXXX";
    const int fd = ::mkstemp(pattern.data());
    if (fd < 0) die("cannot create " + pattern);
    ::close(fd);
    it = paths.emplace(tag, pattern).first;
  }
  const std::string& path = it->second;
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) die("cannot open " + path);
  while (size > 0) {
    const ssize_t w = ::write(fd, data, size);
    if (w < 0) {
      if (errno == EINTR) continue;
      die("cannot write " + path);
    }
    data += w;
    size -= static_cast<size_t>(w);
  }
  if (::close(fd) != 0) die("cannot close " + path);
  return path;
}

}  // namespace aafgan::fuzz
