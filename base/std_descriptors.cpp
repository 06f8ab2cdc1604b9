#include "base/std_descriptors.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace aafgan {

bool ensure_std_descriptors() noexcept {
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // Input reads as empty, output goes nowhere: what the caller chose by closing it.
    const int opened = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (opened < 0) return false;
    // open() takes the lowest free number, which is fd since those below it are open; dup2 only
    // guards against a descriptor closed by another thread in between.
    if (opened != fd) {
      const bool moved = dup2(opened, fd) == fd;
      const int saved = errno;
      close(opened);
      errno = saved;
      if (!moved) return false;
    }
  }
  return true;
}

bool std_descriptors_ready() noexcept {
  if (ensure_std_descriptors()) return true;
  std::perror("cannot open /dev/null for a closed standard input, output or error");
  return false;
}

}  // namespace aafgan
