// Time and memory of walking a dataset folder (data/folder_walk.h) as `--dataset folder` does
// before it decodes anything: how the walk scales to folders of a million entries (issue 22).
//
// Without --folder it makes a tree first, in a temporary folder removed afterwards: --count
// empty files in folders of --per-folder, nine in ten named as images and one in ten not, and in
// every hundredth folder a link loop (`up -> ..`), a second link to a sibling folder and a
// dangling link. The files are empty: the walk never opens them. Prints one table row: entries
// met, files listed, entries not used by reason, wall seconds, entries per second, and the peak
// resident memory the walk added (getrusage's maxrss over the resident size before it).
//
//   aafgan_bench_folder_walk [--folder DIR] [--count N] [--per-folder N] [--repeat N]
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "bench/bench_common.h"
#include "data/folder_walk.h"
#include "data/image_folder.h"
#include "base/error.h"

using namespace aafgan;
using namespace aafgan::data;
namespace fs = std::filesystem;

namespace {

double resident_mib() {
  std::FILE* f = std::fopen("/proc/self/statm", "re");
  if (!f) return 0;
  unsigned long long size = 0, resident = 0;
  const int got = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  return got == 2 ? static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20) : 0;
}

double peak_resident_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024;  // KiB on Linux
}

void make_tree(const fs::path& root, int64_t count, int per_folder) {
  int64_t made = 0;
  for (int64_t folder = 0; made < count; ++folder) {
    const fs::path dir = root / fmt::format("d{:05d}", folder);
    fs::create_directories(dir);
    for (int i = 0; i < per_folder && made < count; ++i, ++made) {
      const std::string name = i % 10 == 9 ? fmt::format("notes_{:05d}.txt", i) : fmt::format("{:06d}.jpg", made);
      std::ofstream(dir / name);
    }
    if (folder % 100 == 0) {
      fs::create_directory_symlink("..", dir / "up");
      fs::create_directory_symlink(fmt::format("../d{:05d}", folder + 1), dir / "next");
      fs::create_symlink("missing.jpg", dir / "dangling.jpg");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Time and peak memory of walking a dataset folder (data/folder_walk.h)"};
  bench::configure_cli(cli);
  std::string folder;
  int64_t count = 1000000;
  int per_folder = 1000;
  int repeat = 1;
  cli.add_option("--folder", folder, "walk this folder instead of a generated tree");
  cli.add_option("--count", count, "files in the generated tree")->check(CLI::Range(int64_t{1}, int64_t{100000000}));
  cli.add_option("--per-folder", per_folder, "files per generated folder")->check(CLI::Range(1, 10000000));
  cli.add_option("--repeat", repeat, "walks; the fastest counts (the first one also warms the inode cache)")
      ->check(CLI::Range(1, 100));
  CLI11_PARSE(cli, argc, argv);
  try {
    fs::path root = folder;
    fs::path made;
    if (folder.empty()) {
      made = fs::temp_directory_path() / fmt::format("aafgan_bench_folder_walk_{}", ::getpid());
      const double t0 = bench::now_ms();
      make_tree(made, count, per_folder);
      std::printf("made %lld files in folders of %d under %s in %.1f s\n", static_cast<long long>(count), per_folder,
                  made.c_str(), (bench::now_ms() - t0) / 1000);
      root = made;
    }
    std::printf("%s\n", bench::cpu_line().c_str());
    std::printf("%-10s | %-10s | %-48s | %7s | %10s | %s\n", "entries", "listed", "not used (by reason)", "wall s",
                "entries/s", "peak RSS added");
    std::printf("%s\n", std::string(114, '-').c_str());
    double best = 1e300;
    for (int r = 0; r < repeat; ++r) {
      const double before = resident_mib();
      const double t0 = bench::now_ms();
      const FolderWalk walk = walk_folder(root.string(), is_image_file_name);
      const double seconds = (bench::now_ms() - t0) / 1000;
      const double added = peak_resident_mib() - before;
      best = std::min(best, seconds);
      std::string unused;
      for (size_t k = 0; k < kUnusedReasons; ++k)
        if (walk.unused[k])
          unused += fmt::format("{}{} {}", unused.empty() ? "" : ", ", walk.unused[k],
                                unused_reason_name(static_cast<UnusedReason>(k)));
      const int64_t entries = static_cast<int64_t>(walk.files.size()) + walk.unused_total();
      // maxrss is a high-water mark: only the first walk's rise is the walk's own.
      const std::string rss = r == 0 ? fmt::format("{:.0f} MiB", added) : "- (see the first walk)";
      std::printf("%-10lld | %-10zu | %-48s | %7.2f | %10.0f | %s%s\n", static_cast<long long>(entries),
                  walk.files.size(), unused.c_str(), seconds, static_cast<double>(entries) / seconds, rss.c_str(),
                  r == 0 && repeat > 1 ? " (cold cache)" : "");
    }
    if (!made.empty()) fs::remove_all(made);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aafgan_bench_folder_walk: %s\n", e.what());
    return 1;
  }
}
