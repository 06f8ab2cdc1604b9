#pragma once
// One process per run folder (issue 13 §2): two processes training the same run would tear its
// checkpoint, and one's --no-resume would delete the other's work. The lock is an exclusive
// flock on <run>/.lock, held for the run's life and released by the kernel when the process
// dies (so a killed run never leaves a stale lock); the file records the holder (host, pid,
// start time) so that the refusal can name it.
#include <string>

#include "base/error.h"

namespace aafgan::models {

// The folder is held by another process: that run is not ours to mark failed.
class RunFolderBusy : public Error {
 public:
  using Error::Error;
};

class RunLock {
 public:
  // Creates the folder if needed and takes the lock, or throws RunFolderBusy "… is in use by
  // host H pid P (since T)".
  explicit RunLock(const std::string& run_dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace aafgan::models
