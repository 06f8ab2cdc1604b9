// Stop signals (base/stop_signal.h): the first asks for a stop, a second ends the process at
// once, but never in the middle of a durable write. Run in forked children, since the handlers
// and _exit act on the whole process.
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "base/durable_file.h"
#include "base/stop_signal.h"
#include "tests/temp_dir.h"

using namespace aafgan;
namespace fs = std::filesystem;

namespace {

// Runs `child` in a fork and returns its exit status (or 1000 + signal if it was killed).
template <typename F>
int in_child(F child) {
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    child();
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

}  // namespace

TEST_CASE("stop signal: the first signal asks for a stop, the second exits at once with 128 + signal") {
  const int status = in_child([] {
    install_stop_signal_handlers();
    std::raise(SIGTERM);
    if (!stop_requested().load()) ::_exit(2);
    try {
      throw_if_stop_requested("a metric");
      ::_exit(3);
    } catch (const StopRequested&) {
    }
    std::raise(SIGINT);
    ::_exit(4);  // not reached
  });
  CHECK(status == 128 + SIGINT);
}

TEST_CASE("stop signal: a second signal during a durable write exits only after the write") {
  testing::TempDir dir("stop_during_write");
  const std::string path = (dir.path() / "last.ckpt").string();
  const int status = in_child([&] {
    install_stop_signal_handlers();
    std::raise(SIGINT);
    DurableFile f(path);
    std::raise(SIGINT);  // the write in progress must complete
    f.write("whole", 5);
    f.commit();
  });  // ~DurableFile ends the child here
  CHECK(status == 128 + SIGINT);
  std::ifstream in(path);
  std::string text;
  in >> text;
  CHECK(text == "whole");
}

TEST_CASE("stop signal: SIGPIPE is ignored once the handlers are installed") {
  const int status = in_child([] {
    install_stop_signal_handlers();
    std::raise(SIGPIPE);
    ::_exit(stop_requested().load() ? 5 : 0);
  });
  CHECK(status == 0);
}

TEST_CASE("stop signal: past the file size limit a durable write fails with EFBIG instead of SIGXFSZ killing us") {
  // ulimit -f: unhandled, the first write past the limit kills the process (exit 153 from the
  // shell), its checkpoint temporary left behind and no message; the run must fail by name.
  testing::TempDir dir("stop_xfsz");
  const std::string path = (dir.path() / "last.ckpt").string();
  const int status = in_child([&] {
    install_stop_signal_handlers();
    struct rlimit small {};
    getrlimit(RLIMIT_FSIZE, &small);
    small.rlim_cur = 4096;
    if (setrlimit(RLIMIT_FSIZE, &small) != 0) ::_exit(2);
    try {
      write_file_durably(path, std::string(10000, 'x'));
    } catch (const std::exception& e) {
      ::_exit(std::string(e.what()).find("File too large") != std::string::npos ? 0 : 3);
    }
    ::_exit(4);  // the write went through the limit
  });
  CHECK(status == 0);
  CHECK_FALSE(fs::exists(path));
  CHECK(fs::is_empty(dir.path()));  // the temporary went with the failed write
}
