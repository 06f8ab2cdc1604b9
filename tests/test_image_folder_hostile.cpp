// Image folders a user's disk can hold that once broke the loader (issue 22, rows 3 and 12): two
// links back up the tree made the listing endless (11 GB at 200 s), and an unreadable subfolder
// was left out without a word. Only load_image_folder and the summary line are used here, so
// these cases also build against the loader before the walk (they fail there).
#include <doctest/doctest.h>

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "data/image_dataset.h"
#include "data/image_folder.h"
#include "data/png_writer.h"
#include "base/error.h"
#include "tests/temp_dir.h"

using namespace aafgan;
using namespace aafgan::data;
namespace fs = std::filesystem;
using aafgan::testing::TempDir;

namespace {

void write_tiny_png(const fs::path& path, uint8_t shade) {
  std::vector<uint8_t> px(8 * 8 * 3, shade);
  write_png(path.string(), 8, 8, 3, px.data());
}

ImageLoadOptions small(bool strict) {
  ImageLoadOptions o;
  o.size = 8;
  o.threads = 1;
  o.strict = strict;
  return o;
}

// The summary line of load_image_folder, or "error: WHAT". An endless walk must fail this test,
// not hang it or eat the machine's memory: it runs in a child process limited to `seconds` and
// 2 GiB of address space.
std::string load_bounded(const std::string& dir, bool strict, int seconds) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    const rlimit as{2ull << 30, 2ull << 30};
    ::setrlimit(RLIMIT_AS, &as);
    std::string out;
    int rc = 0;
    try {
      out = load_image_folder(dir, small(strict)).summary();
    } catch (const std::exception& e) {
      out = std::string("error: ") + e.what();
      rc = 1;
    }
    const ssize_t w = ::write(fds[1], out.data(), out.size());
    ::_exit(w == static_cast<ssize_t>(out.size()) ? rc : 2);
  }
  ::close(fds[1]);
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  bool timed_out = false;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (timed_out) return "did not end within " + std::to_string(seconds) + " s";
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return out;
}

// While alive, the effective user is `nobody` when the process runs as root, so a mode-000
// folder really is unreadable (root reads through any mode). Threads started meanwhile (the
// decode pool) inherit it; the destructor gives root back.
class OrdinaryUser {
 public:
  OrdinaryUser() {
    if (::geteuid() != 0) return;
    if (::seteuid(65534) != 0) {
      why_not_ = std::string("running as root and seteuid(nobody) failed: ") + std::strerror(errno);
      return;
    }
    dropped_ = true;
  }
  ~OrdinaryUser() {
    if (dropped_ && ::seteuid(0) != 0) std::perror("seteuid(0)");
  }
  OrdinaryUser(const OrdinaryUser&) = delete;
  OrdinaryUser& operator=(const OrdinaryUser&) = delete;
  // Empty when unreadable folders can be made, else why not.
  const std::string& why_not() const { return why_not_; }

 private:
  bool dropped_ = false;
  std::string why_not_;
};

}  // namespace

TEST_CASE("images: a folder with two links back up the tree ends, each link counted once (issue 22 row 3)") {
  TempDir tmp("images_hostile_link_loop");
  const fs::path root = tmp.path();
  fs::create_directories(root / "sub");
  write_tiny_png(root / "a.png", 40);
  write_tiny_png(root / "sub" / "b.png", 90);
  fs::create_directory_symlink("..", root / "sub" / "up");
  fs::create_directory_symlink("..", root / "sub" / "up2");

  const std::string up = (root / "sub" / "up").string();
  const std::string summary = load_bounded(tmp.dir(), false, 20);
  INFO(summary);
  CHECK(summary.find("decoded 2 images, skipped 0; not used: 2 duplicate (first: " + up +
                     ": a folder already walked") == 0);
  const std::string strict = load_bounded(tmp.dir(), true, 20);
  INFO(strict);
  CHECK(strict.find("error: ") == 0);
  CHECK(strict.find(up + ": duplicate: a folder already walked") != std::string::npos);
}

TEST_CASE("images: an unreadable subfolder is counted, and refused with strict (issue 22 row 12)") {
  TempDir tmp("images_hostile_unreadable");
  const fs::path root = tmp.path();
  fs::create_directories(root / "sub");
  for (int i = 0; i < 19; ++i)
    write_tiny_png(root / ("img" + std::to_string(10 + i) + ".png"), static_cast<uint8_t>(i));
  write_tiny_png(root / "sub" / "hidden.png", 200);
  // Readable by `nobody` whatever the umask; only sub/ is closed.
  fs::permissions(root, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) fs::permissions(e.path(), fs::perms::owner_read | fs::perms::owner_write |
                                                           fs::perms::group_read | fs::perms::others_read);
  fs::permissions(root / "sub", fs::perms::none);
  const std::string sub = (root / "sub").string();

  std::string summary, strict;
  {
    OrdinaryUser user;
    if (!user.why_not().empty()) {
      std::printf("skipped: cannot make an unreadable folder: %s\n", user.why_not().c_str());
      fs::permissions(root / "sub", fs::perms::owner_all);
      return;
    }
    if (DIR* d = ::opendir(sub.c_str())) {
      ::closedir(d);
      std::printf("skipped: cannot make an unreadable folder: a mode-000 folder opens for uid %u\n",
                  static_cast<unsigned>(::geteuid()));
      fs::permissions(root / "sub", fs::perms::owner_all);
      return;
    }
    summary = load_bounded(tmp.dir(), false, 20);
    strict = load_bounded(tmp.dir(), true, 20);
  }
  fs::permissions(root / "sub", fs::perms::owner_all);
  INFO(summary);
  CHECK(summary == "decoded 19 images, skipped 0; not used: 1 unreadable (first: " + sub + ": " +
                       std::strerror(EACCES) + ")");
  INFO(strict);
  CHECK(strict.find("error: ") == 0);
  CHECK(strict.find(sub + ": unreadable: " + std::strerror(EACCES)) != std::string::npos);
}
