// walk_folder (data/folder_walk.h) on trees made here: each kind of entry not used, strict
// refusal, and seeded random trees of folders, images, links (loops, second links, dangling,
// into FIFOs), FIFOs and unreadable folders. Unreadable folders come through the read_dir seam
// (refusing by inode, as a mode-000 folder does), since the suite runs as root; the real mode-000
// case is in test_image_folder_hostile.cpp.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "data/folder_walk.h"
#include "data/image_folder.h"
#include "base/error.h"
#include "tests/temp_dir.h"

using namespace aafgan;
using namespace aafgan::data;
namespace fs = std::filesystem;
using aafgan::testing::TempDir;

namespace {

void touch(const fs::path& p) { std::ofstream(p) << "x"; }

using Inode = std::pair<dev_t, ino_t>;

Inode inode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return {st.st_dev, st.st_ino};
}

// read_dir_names, refusing the folders in `unreadable` (by inode, so every path to one is refused
// as for a mode-000 folder), and recording what it was asked to open.
struct RecordingReadDir {
  std::set<Inode> unreadable;
  std::vector<std::string> opened;
  int64_t names_listed = 0;
  ReadDirFn fn() {
    return [this](const std::string& path, std::vector<std::string>& names) {
      opened.push_back(path);
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0 && unreadable.count({st.st_dev, st.st_ino})) return EACCES;
      const int err = read_dir_names(path, names);
      names_listed += static_cast<int64_t>(names.size());
      return err;
    };
  }
};

int64_t count(const FolderWalk& w, UnusedReason r) { return w.unused[static_cast<size_t>(r)]; }

}  // namespace

TEST_CASE("walk: each kind of entry not used is counted under its reason, and FIFOs are never opened") {
  TempDir tmp("walk_kinds");
  const fs::path root = tmp.path();
  fs::create_directories(root / "a" / "closed");
  touch(root / "a" / "one.png");
  touch(root / "a" / "closed" / "never.png");
  touch(root / "notes.txt");
  REQUIRE(::mkfifo((root / "pipe.png").c_str(), 0644) == 0);
  fs::create_symlink("pipe.png", root / "link_to_pipe.jpg");
  fs::create_symlink("missing.png", root / "dangling.png");
  fs::create_symlink("loop_b.png", root / "loop_a.png");
  fs::create_symlink("loop_a.png", root / "loop_b.png");
  fs::create_symlink("a/one.png", root / "b_second.png");
  fs::create_hard_link(root / "a" / "one.png", root / "c_hard.PNG");
  fs::create_directory_symlink("..", root / "a" / "up");

  RecordingReadDir rd;
  rd.unreadable.insert(inode_of((root / "a" / "closed").string()));
  std::vector<UnusedEntry> seen;
  const FolderWalk w = walk_folder(tmp.dir(), is_image_file_name, [&](const UnusedEntry& e) { seen.push_back(e); },
                                   rd.fn());
  // A folder's own entries come before its subfolders': the link is met before a/one.png.
  REQUIRE(w.files.size() == 1);
  CHECK(w.files[0] == (root / "b_second.png").string());
  CHECK(count(w, UnusedReason::unreadable) == 1);
  CHECK(count(w, UnusedReason::not_regular_file) == 2);  // the FIFO, and the link to it
  CHECK(count(w, UnusedReason::dangling_link) == 3);     // to nothing, and the two that loop
  CHECK(count(w, UnusedReason::duplicate) == 3);         // a/up, a/one.png and the hard link
  CHECK(count(w, UnusedReason::not_wanted) == 1);
  CHECK(static_cast<int64_t>(seen.size()) == w.unused_total());
  for (const std::string& p : rd.opened) CHECK(fs::is_directory(p));

  std::map<std::string, std::pair<UnusedReason, std::string>> by_path;
  for (const UnusedEntry& e : seen) by_path[e.path.substr(tmp.dir().size() + 1)] = {e.reason, e.detail};
  CHECK(by_path.at("a/closed").first == UnusedReason::unreadable);
  CHECK(by_path.at("a/closed").second == std::strerror(EACCES));
  CHECK(by_path.at("pipe.png").second == "a FIFO");
  CHECK(by_path.at("link_to_pipe.jpg").second == "a FIFO");
  CHECK(by_path.at("loop_a.png").first == UnusedReason::dangling_link);
  CHECK(by_path.at("a/up").first == UnusedReason::duplicate);
  CHECK(by_path.at("a/one.png").first == UnusedReason::duplicate);
  CHECK(by_path.at("c_hard.PNG").first == UnusedReason::duplicate);
  CHECK(by_path.at("notes.txt").first == UnusedReason::not_wanted);
  // The first of each reason, in walk order.
  REQUIRE(w.first_unused.size() == 5);
  CHECK(w.first_unused[0].path == (root / "c_hard.PNG").string());
  CHECK(w.first_unused[1].path == (root / "dangling.png").string());
  CHECK(w.first_unused[2].path == (root / "link_to_pipe.jpg").string());
  CHECK(w.first_unused[3].path == (root / "notes.txt").string());
  CHECK(w.first_unused[4].path == (root / "a" / "closed").string());
}

TEST_CASE("walk: strict refuses the first entry not used, naming it and its reason") {
  TempDir tmp("walk_strict");
  fs::create_directories(tmp.path() / "b");
  touch(tmp.path() / "a.png");
  touch(tmp.path() / "b" / "c.png");
  REQUIRE(::mkfifo((tmp.path() / "b" / "d").c_str(), 0644) == 0);
  touch(tmp.path() / "b" / "e.txt");
  try {
    walk_image_folder(tmp.dir(), true);
    FAIL("no error was thrown");
  } catch (const Error& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find(tmp.file("b/d") + ": not a regular file: a FIFO") != std::string::npos);
    CHECK(msg.find("strict") != std::string::npos);
  }
  const FolderWalk w = walk_image_folder(tmp.dir(), false);
  CHECK(w.files.size() == 2);
  CHECK(w.unused_total() == 2);
}

TEST_CASE("walk: an unlistable root folder is an error naming it") {
  TempDir tmp("walk_root");
  RecordingReadDir rd;
  rd.unreadable.insert(inode_of(tmp.dir()));
  try {
    walk_folder(tmp.dir(), is_image_file_name, {}, rd.fn());
    FAIL("no error was thrown");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find(tmp.dir() + ": cannot list it: " + std::strerror(EACCES)) != std::string::npos);
  }
}

// Random trees: the expected count of each reason follows from what was made, without walking:
// every folder reachable through readable folders is entered exactly once whatever the links,
// so each entry in it is met once; a link to a folder is always a duplicate (its target is met
// through another entry or is the root); of the wanted names that reach one file, one is listed.
TEST_CASE("walk: random trees with links, loops, FIFOs, dangling links and unreadable folders") {
  TempDir tmp("walk_random");
  for (unsigned seed = 1; seed <= 60; ++seed) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    auto pick = [&rng](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
    const fs::path root = tmp.path() / std::to_string(seed);
    fs::create_directories(root);

    struct Dir {
      fs::path path;
      bool visible;  // reachable through readable folders only
    };
    struct File {
      fs::path path;
      int wanted_refs;  // wanted names that reach it from visible folders (only those files are kept)
      bool fifo;
    };
    std::vector<Dir> dirs = {{root, true}};
    std::vector<File> files;
    std::array<int64_t, kUnusedReasons> expected{};
    auto expect = [&expected](UnusedReason r) { ++expected[static_cast<size_t>(r)]; };
    std::set<Inode> unreadable;
    const char* exts[] = {".png", ".JPG", ".jpeg", ".txt", ""};

    const int entries = 20 + static_cast<int>(pick(60));
    for (int i = 0; i < entries; ++i) {
      const Dir d = dirs[pick(dirs.size())];
      const std::string ext = exts[pick(5)];
      const fs::path p = d.path / ("n" + std::to_string(i) + ext);
      const bool wanted = is_image_file_name(p.filename().string());
      std::vector<size_t> visible_dirs, visible_files;
      for (size_t k = 0; k < dirs.size(); ++k)
        if (dirs[k].visible) visible_dirs.push_back(k);
      for (size_t k = 0; k < files.size(); ++k) visible_files.push_back(k);  // only visible ones are kept
      switch (pick(9)) {
        case 0:
        case 1: {
          fs::create_directory(p);
          const bool closed = d.visible && pick(6) == 0;
          if (closed) {
            unreadable.insert(inode_of(p.string()));
            expect(UnusedReason::unreadable);
          }
          dirs.push_back({p, d.visible && !closed});
          break;
        }
        case 2:
        case 3:
          touch(p);
          if (!d.visible) break;
          files.push_back({p, wanted ? 1 : 0, false});
          if (!wanted) expect(UnusedReason::not_wanted);
          break;
        case 4:
          REQUIRE(::mkfifo(p.c_str(), 0644) == 0);
          if (!d.visible) break;
          files.push_back({p, 0, true});
          expect(UnusedReason::not_regular_file);
          break;
        case 5:
          if (pick(2) == 0) {
            fs::create_symlink("nowhere" + std::to_string(i), p);
          } else {
            fs::create_symlink(p.filename().string() + "b", p);  // p -> pb -> p: a loop of links
            fs::create_symlink(p.filename(), p.string() + "b");
            if (d.visible) expect(UnusedReason::dangling_link);
          }
          if (d.visible) expect(UnusedReason::dangling_link);
          break;
        case 6: {
          // A link to a visible folder, often an ancestor (a loop), absolute or relative.
          const Dir& t = dirs[visible_dirs[pick(visible_dirs.size())]];
          if (pick(2) == 0)
            fs::create_directory_symlink(t.path, p);
          else
            fs::create_directory_symlink(fs::relative(t.path, d.path), p);
          if (d.visible) expect(UnusedReason::duplicate);
          break;
        }
        case 7:
        case 8: {
          if (visible_files.empty()) {
            touch(p);
            if (!d.visible) break;
            files.push_back({p, wanted ? 1 : 0, false});
            if (!wanted) expect(UnusedReason::not_wanted);
            break;
          }
          File& t = files[visible_files[pick(visible_files.size())]];
          const bool hard = pick(3) == 0 && !t.fifo;
          if (hard)
            fs::create_hard_link(t.path, p);
          else
            fs::create_symlink(fs::relative(t.path, d.path), p);
          if (!d.visible) break;
          if (t.fifo)
            expect(UnusedReason::not_regular_file);
          else if (wanted)
            ++t.wanted_refs;
          else
            expect(UnusedReason::not_wanted);
          break;
        }
      }
    }
    int64_t expected_files = 0;
    for (const File& f : files)
      if (!f.fifo && f.wanted_refs > 0) {
        ++expected_files;
        expected[static_cast<size_t>(UnusedReason::duplicate)] += f.wanted_refs - 1;
      }

    RecordingReadDir rd;
    rd.unreadable = unreadable;
    std::vector<UnusedEntry> seen;
    const FolderWalk w =
        walk_folder(root.string(), is_image_file_name, [&](const UnusedEntry& e) { seen.push_back(e); }, rd.fn());
    CHECK(static_cast<int64_t>(w.files.size()) == expected_files);
    for (size_t r = 0; r < kUnusedReasons; ++r) {
      CAPTURE(unused_reason_name(static_cast<UnusedReason>(r)));
      CHECK(w.unused[r] == expected[r]);
    }
    // Every name listed is accounted for once: a file, an entry not used, or a folder entered.
    const auto readable_opened = static_cast<int64_t>(rd.opened.size()) - static_cast<int64_t>(unreadable.size());
    CHECK(rd.names_listed == static_cast<int64_t>(w.files.size()) + w.unused_total() + readable_opened - 1);
    std::set<std::string> paths(w.files.begin(), w.files.end());
    for (const UnusedEntry& e : seen) paths.insert(e.path);
    for (const std::string& p : rd.opened) paths.insert(p);
    CHECK(static_cast<int64_t>(paths.size()) ==
          static_cast<int64_t>(w.files.size()) + w.unused_total() + readable_opened);
    // Only folders are opened, each once; every listed file is a regular file.
    std::set<Inode> opened;
    for (const std::string& p : rd.opened) {
      struct stat st {};
      REQUIRE(::stat(p.c_str(), &st) == 0);
      CHECK(S_ISDIR(st.st_mode));
      CHECK(opened.insert({st.st_dev, st.st_ino}).second);
    }
    for (const std::string& f : w.files) {
      struct stat st {};
      REQUIRE(::stat(f.c_str(), &st) == 0);
      CHECK(S_ISREG(st.st_mode));
    }
  }
}
