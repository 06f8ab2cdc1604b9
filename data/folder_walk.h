#pragma once
// The walk of a dataset folder and its subfolders that always ends and accounts for every entry.
//
// Links are followed, also out of the folder: a data folder made of links into shared storage is a
// common layout, and following is safe because every folder entered is remembered by device and
// inode, so a folder reached again (a link loop such as `sub/up -> ..`, or a second link to it) is
// not entered again. A file reached twice (a link, a hard link) is used once. Every entry not used
// is reported once, with its reason. Only folders are ever opened; everything else is classified
// by lstat/stat, so a FIFO (which would block an open) or a device is never opened.
//
// Memory: one (device, inode) per folder and per wanted file, the folders waiting to be walked
// (an explicit stack: no recursion, so a deep tree cannot overflow the call stack), and the
// names of one folder at a time.
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace aafgan::data {

enum class UnusedReason { unreadable, not_regular_file, dangling_link, duplicate, not_wanted };
constexpr size_t kUnusedReasons = 5;

// "unreadable", "not a regular file", "dangling link", "duplicate", "not an image".
const char* unused_reason_name(UnusedReason r);

struct UnusedEntry {
  std::string path;
  UnusedReason reason;
  std::string detail;  // e.g. "Permission denied", "a FIFO", "a folder already walked"
};

// Lists the names in folder `path` (without "." and "..") into `names`; returns 0 or an errno.
using ReadDirFn = std::function<int(const std::string& path, std::vector<std::string>& names)>;

// opendir/readdir: the walk's default ReadDirFn.
int read_dir_names(const std::string& path, std::vector<std::string>& names);

struct FolderWalk {
  std::vector<std::string> files;                  // wanted regular files, in walk order
  std::array<int64_t, kUnusedReasons> unused{};    // entries not used, by reason
  std::vector<UnusedEntry> first_unused;           // the first one of each reason met, in walk order
  int64_t unused_total() const;
};

// Walks `root` (a folder, or a link to one): a folder's names in byte order, then its subfolders
// one by one the same way (depth first), so the walk, and which of two names of one file or folder
// is used, is the same on every machine. `wanted`
// picks the regular files to list by name; `on_unused` (optional) sees each entry not used as it
// is met, and may throw to stop the walk (strict loading). Throws aafgan::Error when `root` is
// not a folder or cannot be listed.
FolderWalk walk_folder(const std::string& root, const std::function<bool(const std::string& name)>& wanted,
                       const std::function<void(const UnusedEntry&)>& on_unused = {},
                       const ReadDirFn& read_dir = read_dir_names);

}  // namespace aafgan::data
