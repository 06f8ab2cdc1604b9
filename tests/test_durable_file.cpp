// Durable writes (engine/durable_file.h): a failed write leaves the previous file whole and no
// temporary behind; temporaries are unique per process and write; a dead process's are cleaned.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "engine/durable_file.h"
#include "tests/temp_dir.h"

using namespace aafgan;
namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int files_in(const fs::path& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

}  // namespace

TEST_CASE("durable file: writes, replaces, and an uncommitted write leaves the old file") {
  testing::TempDir dir("durable");
  const std::string path = (dir.path() / "stats.csv").string();
  write_file_durably(path, "1,2,3\n");
  CHECK(read_all(path) == "1,2,3\n");
  write_file_durably(path, "4\n");
  CHECK(read_all(path) == "4\n");
  {
    DurableFile f(path);
    f.write("partial", 7);
    CHECK(fs::exists(f.temp_path()));
  }  // an exception between write and commit lands here
  CHECK(read_all(path) == "4\n");
  CHECK(files_in(dir.path()) == 1);
}

TEST_CASE("durable file: a full disk (file size limit) fails by name and keeps the previous file") {
  testing::TempDir dir("durable_full");
  const std::string path = (dir.path() / "model.ckpt").string();
  write_file_durably(path, std::string(100, 'a'));
  struct rlimit old {};
  REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
  struct sigaction ignore {}, saved {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGXFSZ, &ignore, &saved);  // the write then fails with EFBIG instead of killing us
  struct rlimit small = old;
  small.rlim_cur = 64;
  REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
  std::string message;
  try {
    write_file_durably(path, std::string(1000, 'b'));
  } catch (const std::exception& e) {
    message = e.what();
  }
  setrlimit(RLIMIT_FSIZE, &old);
  sigaction(SIGXFSZ, &saved, nullptr);
  CHECK(message.find("cannot write") != std::string::npos);
  CHECK(read_all(path) == std::string(100, 'a'));
  CHECK(files_in(dir.path()) == 1);
}

TEST_CASE("durable file: temporaries are unique, and a dead process's are removed by the next write") {
  testing::TempDir dir("durable_stale");
  const std::string path = (dir.path() / "config.json").string();
  DurableFile a(path), b(path);
  CHECK(a.temp_path() != b.temp_path());
  // A temporary of a process that no longer exists (pid 2^22 + 1 is above Linux's default max)
  // and one of a live process (ours, through `a`).
  const fs::path stale = dir.path() / "config.json.tmp.4194305.0";
  std::ofstream(stale) << "torn";
  write_file_durably(path, "{}\n");
  CHECK(!fs::exists(stale));
  CHECK(fs::exists(a.temp_path()));
  CHECK(read_all(path) == "{}\n");
}
