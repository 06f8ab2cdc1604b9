// Durable writes (base/durable_file.h): a failed write leaves the previous file whole and no
// temporary behind; temporaries are unique per process and write; a dead process's are cleaned.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/durable_file.h"
#include "tests/file_size_limit.h"
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
  std::string message;
  try {
    const testing::FileSizeLimit full_disk(64);
    write_file_durably(path, std::string(1000, 'b'));
  } catch (const std::exception& e) {
    message = e.what();
  }
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

TEST_CASE("durable file: a stale temporary with this process's own name (a reused pid) does not block the write") {
  testing::TempDir dir("durable_own_name");
  const std::string path = (dir.path() / "metrics.csv").string();
  std::string next;
  {
    DurableFile probe(path);  // the name the next write would take is the counter's next value
    const std::string t = probe.temp_path();
    const size_t dot = t.rfind('.');
    next = t.substr(0, dot + 1) + std::to_string(std::stoul(t.substr(dot + 1)) + 1);
  }
  std::ofstream(next) << "left by a killed process that had our pid";
  write_file_durably(path, "epoch\n");
  CHECK(read_all(path) == "epoch\n");
}

TEST_CASE("durable file: remove_temps_under clears a folder's temporaries, whatever pid they carry") {
  testing::TempDir dir("durable_sweep");
  const fs::path d = dir.path();
  fs::create_directories(d / "stats");
  fs::create_directories(d / "samples_img");
  const std::vector<fs::path> temps = {
      d / "metrics.csv.tmp.1.0",                      // pid 1 is alive (init), but not the writer
      d / "stats" / "d_losses.csv.tmp.4194305.12",  // a dead pid
      d / ("config.json.tmp." + std::to_string(::getpid()) + ".3"),  // our pid, reused
      d / "samples_img" / "3.png.tmp",              // the earlier PNG writer's
  };
  const std::vector<fs::path> kept = {d / "metrics.csv", d / "notes.tmp.txt", d / "a.csv.tmp.x.1", d / ".tmp.1.2"};
  for (const auto& p : temps) std::ofstream(p) << "torn";
  for (const auto& p : kept) std::ofstream(p) << "kept";
  CHECK(remove_temps_under(d.string()) == static_cast<int>(temps.size()));
  for (const auto& p : temps) CHECK_MESSAGE(!fs::exists(p), p.string());
  for (const auto& p : kept) CHECK_MESSAGE(fs::exists(p), p.string());
  CHECK(remove_temps_under((d / "no_such_folder").string()) == 0);
}
