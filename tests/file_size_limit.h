#pragma once
// A full disk for the length of a scope: writes past `bytes` fail with EFBIG (SIGXFSZ is
// ignored meanwhile, so the write fails instead of the process dying). Both are restored after.
#include <signal.h>
#include <sys/resource.h>

#include <doctest/doctest.h>

namespace aafgan::testing {

class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    REQUIRE(getrlimit(RLIMIT_FSIZE, &old_) == 0);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGXFSZ, &ignore, &saved_);
    struct rlimit limit = old_;
    limit.rlim_cur = bytes;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &limit) == 0);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &old_);
    sigaction(SIGXFSZ, &saved_, nullptr);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  struct rlimit old_ {};
  struct sigaction saved_ {};
};

}  // namespace aafgan::testing
