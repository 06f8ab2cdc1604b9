#include "base/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"

namespace aafgan {

std::string special_file_kind(unsigned st_mode) {
  const mode_t mode = static_cast<mode_t>(st_mode);
  if (S_ISREG(mode)) return {};
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISDIR(mode)) return "a directory";
  return "not a regular file";
}

RegularFile open_regular_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) fail("{}: no such file", path);
    fail("{}: cannot read ({})", path, std::strerror(errno));
  }
  if (const std::string kind = special_file_kind(st.st_mode); !kind.empty())
    fail("{}: is {}, not a regular file", path, kind);
  // O_NONBLOCK: should the path be swapped for a FIFO between stat and open, the open returns
  // instead of waiting for a writer, and the fstat below refuses it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) fail("{}: cannot open ({})", path, std::strerror(errno));
  struct stat opened {};
  if (::fstat(fd, &opened) != 0 || !S_ISREG(opened.st_mode)) {
    ::close(fd);
    fail("{}: is {}, not a regular file", path, special_file_kind(opened.st_mode));
  }
  // Regular files ignore O_NONBLOCK; clearing it keeps the descriptor an ordinary one for zlib.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return {fd, static_cast<uint64_t>(opened.st_size)};
}

int64_t read_fully(int fd, void* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::read(fd, static_cast<char*>(buf) + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return static_cast<int64_t>(got);
}

}  // namespace aafgan
