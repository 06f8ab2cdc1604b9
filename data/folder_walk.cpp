#include "data/folder_walk.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

#include "base/error.h"
#include "base/regular_file.h"

namespace aafgan::data {

namespace {

using FileId = std::pair<dev_t, ino_t>;

FileId id_of(const struct stat& st) { return {st.st_dev, st.st_ino}; }

std::string join(const std::string& dir, const std::string& name) {
  return !dir.empty() && dir.back() == '/' ? dir + name : dir + "/" + name;
}

}  // namespace

const char* unused_reason_name(UnusedReason r) {
  switch (r) {
    case UnusedReason::unreadable: return "unreadable";
    case UnusedReason::not_regular_file: return "not a regular file";
    case UnusedReason::dangling_link: return "dangling link";
    case UnusedReason::duplicate: return "duplicate";
    case UnusedReason::not_wanted: return "not an image";
  }
  return "?";
}

int read_dir_names(const std::string& path, std::vector<std::string>& names) {
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return errno;
  for (;;) {
    errno = 0;
    const dirent* e = ::readdir(d);
    if (e == nullptr) break;
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  const int err = errno;
  ::closedir(d);
  return err;
}

int64_t FolderWalk::unused_total() const {
  int64_t n = 0;
  for (int64_t c : unused) n += c;
  return n;
}

FolderWalk walk_folder(const std::string& root, const std::function<bool(const std::string& name)>& wanted,
                       const std::function<void(const UnusedEntry&)>& on_unused, const ReadDirFn& read_dir) {
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) fail("image folder {}: no such folder", root);

  FolderWalk walk;
  std::set<FileId> folders_met = {id_of(st)};
  std::set<FileId> files_met;
  auto unused = [&](std::string path, UnusedReason reason, std::string detail) {
    UnusedEntry e{std::move(path), reason, std::move(detail)};
    if (on_unused) on_unused(e);
    if (walk.unused[static_cast<size_t>(reason)]++ == 0) walk.first_unused.push_back(std::move(e));
  };

  std::vector<std::string> pending = {root};
  std::vector<std::string> names, subfolders;
  bool at_root = true;
  while (!pending.empty()) {
    const std::string dir = std::move(pending.back());
    pending.pop_back();
    names.clear();
    if (const int err = read_dir(dir, names); err != 0) {
      if (at_root) fail("image folder {}: cannot list it: {}", root, std::strerror(err));
      unused(dir, UnusedReason::unreadable, std::strerror(err));
      continue;
    }
    at_root = false;
    std::sort(names.begin(), names.end());
    subfolders.clear();
    for (const std::string& name : names) {
      std::string path = join(dir, name);
      struct stat l {};
      if (::lstat(path.c_str(), &l) != 0) {
        unused(std::move(path), UnusedReason::unreadable, std::strerror(errno));
        continue;
      }
      st = l;
      if (S_ISLNK(l.st_mode) && ::stat(path.c_str(), &st) != 0) {
        const int err = errno;
        if (err == ENOENT || err == ENOTDIR || err == ELOOP)
          unused(std::move(path), UnusedReason::dangling_link, std::strerror(err));
        else
          unused(std::move(path), UnusedReason::unreadable, std::strerror(err));
        continue;
      }
      if (S_ISDIR(st.st_mode)) {
        if (!folders_met.insert(id_of(st)).second)
          unused(std::move(path), UnusedReason::duplicate, "a folder already walked (a link loop or a second link)");
        else
          subfolders.push_back(std::move(path));
      } else if (!S_ISREG(st.st_mode)) {
        unused(std::move(path), UnusedReason::not_regular_file, special_file_kind(st.st_mode));
      } else if (!wanted(name)) {
        unused(std::move(path), UnusedReason::not_wanted, "");
      } else if (!files_met.insert(id_of(st)).second) {
        unused(std::move(path), UnusedReason::duplicate, "the same file as one already listed (a link)");
      } else {
        walk.files.push_back(std::move(path));
      }
    }
    // Reversed onto the stack, so the subfolders are walked in name order.
    for (auto it = subfolders.rbegin(); it != subfolders.rend(); ++it) pending.push_back(std::move(*it));
  }
  return walk;
}

}  // namespace aafgan::data
