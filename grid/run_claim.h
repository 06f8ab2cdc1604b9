#pragma once
// Claims let any number of workers share one output folder, on one machine or many over
// NFS/EFS/Lustre (issue 13 §1, `--claim`): a worker trains a run only after claiming it, so that
// a grid finishes with no coordinator and no run trained by two workers at once.
//
// A claim is the file <run>/.claim (host, pid, a token unique to the claim). It is created by
// hard-linking a fully written temporary onto that name, which is atomic and refuses an existing
// name on every POSIX file system, NFS included (where O_EXCL was not always reliable). While
// the run trains, a heartbeat thread refreshes the claim's mtime. A claim is stale, and is
// taken over, when its holder is a dead process of this host, or when its mtime has not moved
// for `stale_after_s` by the file server's clock (read from a probe file, so that clock skew
// between hosts does not matter). A takeover holds <run>/.claim.takeover while it replaces the
// stale claim, so that two workers never both take one over. Every claim, takeover and release
// is appended to <run>/claims.log: who trained the run, and when.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace aafgan::models {

struct ClaimSettings {
  double stale_after_s = 600;  // a claim whose heartbeat is this old belongs to a dead worker
  double heartbeat_s() const;  // how often a holder refreshes its claim: a sixth of stale_after_s
};

class RunClaim {
 public:
  // Claims `run_dir` (created if needed), taking over a stale claim. Returns null when another
  // live worker holds it, with `*held_by` saying who ("host H pid P, heartbeat 12 s ago").
  static std::unique_ptr<RunClaim> try_take(const std::string& run_dir, const ClaimSettings& settings,
                                            std::string* held_by);
  // Stops the heartbeat and removes the claim if it is still this worker's.
  ~RunClaim();
  RunClaim(const RunClaim&) = delete;
  RunClaim& operator=(const RunClaim&) = delete;

  // Set when another worker has taken the claim over (this one was presumed dead: stopped or
  // cut off for longer than stale_after_s). Whoever trains the run should stop.
  const std::atomic<bool>& lost() const { return lost_; }
  const std::string& lost_to() const { return lost_to_; }  // valid once lost() is set
  const std::string& how_taken() const { return how_; }    // "claimed", or "took over from …"
  // Refreshes the claim now, recreating it if its file is gone (after the run folder was moved
  // aside, say). False once the claim is someone else's.
  bool renew();
  // Appends `what` to claims.log with the time and this worker's host and pid.
  void note(const std::string& what) const;

 private:
  RunClaim(std::string run_dir, std::string token, ClaimSettings settings, std::string how);
  void heartbeat_loop();

  std::string run_dir_, token_;
  ClaimSettings settings_;
  std::string how_, lost_to_;
  std::atomic<bool> lost_{false};
  std::mutex mutex_, renew_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread heartbeat_;
};

}  // namespace aafgan::models
