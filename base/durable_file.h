#pragma once
// Every output file goes through here (issue 13 §6): written to a temporary file of a unique
// name beside the target, checked, fsynced, renamed over the target, and the folder fsynced, so
// that a kill or a full disk at any moment leaves either the old file or the new one whole,
// never an empty or torn file, and two processes never write the same temporary. A temporary
// left by a killed process is removed by the next write of the same target, or all at once by
// remove_temps_under (a run's start does that to its locked folder).
#include <string>

#include "base/stop_signal.h"

namespace aafgan {

class DurableFile {
 public:
  // Creates the temporary of `path` (its folder must exist); throws naming the path.
  explicit DurableFile(std::string path);
  // Not committed: the temporary is removed and the target left as it was.
  ~DurableFile();
  DurableFile(const DurableFile&) = delete;
  DurableFile& operator=(const DurableFile&) = delete;

  int fd() const { return fd_; }
  const std::string& temp_path() const { return temp_; }
  // All of `n` bytes, or throws naming the file and the reason (e.g. no space left).
  void write(const void* data, size_t n);
  // fsync, close, rename over the target, fsync the folder.
  void commit();

 private:
  CriticalWrite critical_;  // a second stop signal waits for this write (base/stop_signal.h)
  std::string path_, temp_;
  int fd_ = -1;
};

// The whole of `text` as `path`, durably.
void write_file_durably(const std::string& path, const std::string& text);

// Removes every temporary of this writer under `dir` and its subfolders, and the "<name>.tmp"
// files of the earlier PNG writer; returns how many. Only for a folder this process holds
// exclusively and does not write in yet (a run folder, just locked): a kill leaves temporaries
// of targets the next start may never write again, and the per-target cleanup above keeps those
// whose pid is alive, which after a pid is reused (pid_max can be 32768) is not their writer.
int remove_temps_under(const std::string& dir);

}  // namespace aafgan
