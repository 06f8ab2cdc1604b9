#include "grid/run_claim.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/json_limits.h"
#include "grid/worker_identity.h"

namespace aafgan::models {

namespace fs = std::filesystem;

namespace {

// A takeover in progress is itself abandoned when its worker died inside it; it takes
// milliseconds, so a minute means dead.
constexpr double kTakeoverStaleS = 60;

struct ClaimInfo {
  std::string host, machine, token, since;
  long pid = 0;
  timespec mtime{};
};

double seconds_between(const timespec& a, const timespec& b) {
  return static_cast<double>(b.tv_sec - a.tv_sec) + 1e-9 * static_cast<double>(b.tv_nsec - a.tv_nsec);
}

std::string new_token() {
  std::random_device rd;
  const uint64_t r = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  return fmt::format("{}-{}-{:016x}", host_name(), ::getpid(), r);
}

// nullopt when the file does not exist; a file that does not parse is a claim by someone unknown
// (judged by its age alone).
std::optional<ClaimInfo> read_claim(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::nullopt;
    fail("cannot read the claim {}: {}", path, std::strerror(errno));
  }
  ClaimInfo info;
  info.mtime = st.st_mtim;
  // A claim is a line of JSON the workers write; whatever else sits under its name (a file of
  // gigabytes, a FIFO, deep nesting) is read no further than a claim's size and judged by age.
  JsonLimits limits;
  limits.max_bytes = 64 * 1024;
  limits.max_depth = 8;
  try {
    const nlohmann::json j = read_json_file_within(path, "a claim", limits);
    info.host = j.value("host", "");
    info.machine = j.value("machine", "");
    info.token = j.value("token", "");
    info.since = j.value("since", "");
    info.pid = j.value("pid", 0L);
  } catch (const std::exception&) {  // aafgan::Error from the limits, nlohmann's from a wrong type
    info.host = "an unknown worker";
  }
  return info;
}

std::string describe(const ClaimInfo& c) {
  return c.pid ? fmt::format("host {} pid {} (since {})", c.host, c.pid, c.since) : c.host;
}

// A file of the claim's content under a unique name, to be linked onto the claim's name.
std::string write_temp(const std::string& dir, const std::string& token, const std::string& content) {
  const std::string temp = (fs::path(dir) / fmt::format(".claim.new.{}", token)).string();
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot create {}: {}", temp, std::strerror(errno));
  const bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(temp.c_str());
    fail("cannot write {}: {}", temp, std::strerror(err));
  }
  return temp;
}

// link(2) is atomic and fails on an existing name everywhere. Over NFS a retransmitted link can
// report an error although it succeeded; the link count of the source tells.
bool link_exclusive(const std::string& source, const std::string& target) {
  if (::link(source.c_str(), target.c_str()) == 0) return true;
  const int err = errno;
  if (err == EEXIST) return false;
  struct stat st {};
  if (::stat(source.c_str(), &st) == 0 && st.st_nlink == 2) return true;
  fail("cannot create {}: {}", target, std::strerror(err));
}

// Now, by the clock that stamps the folder's files: on a shared file system the server's, so
// that ages of claims written by other hosts are measured without their clock skew.
timespec file_clock_now(const std::string& dir, const std::string& token) {
  const std::string probe = (fs::path(dir) / fmt::format(".claim.clock.{}", token)).string();
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot create {}: {}", probe, std::strerror(errno));
  struct stat st {};
  const bool ok = ::write(fd, "t", 1) == 1 && ::fstat(fd, &st) == 0;
  ::close(fd);
  ::unlink(probe.c_str());
  if (!ok) fail("cannot stamp {}: {}", probe, std::strerror(errno));
  return st.st_mtim;
}

}  // namespace

double ClaimSettings::heartbeat_s() const { return std::clamp(stale_after_s / 6, 0.1, 60.0); }

RunClaim::RunClaim(std::string run_dir, std::string token, ClaimSettings settings, std::string how)
    : run_dir_(std::move(run_dir)), token_(std::move(token)), settings_(settings), how_(std::move(how)) {
  heartbeat_ = std::thread([this] { heartbeat_loop(); });
}

std::unique_ptr<RunClaim> RunClaim::try_take(const std::string& run_dir, const ClaimSettings& settings,
                                             std::string* held_by) {
  fs::create_directories(run_dir);
  const std::string claim = (fs::path(run_dir) / ".claim").string();
  const std::string token = new_token();
  const nlohmann::json me = {{"host", host_name()}, {"machine", machine_identity()}, {"pid", static_cast<long>(::getpid())},
                             {"token", token}, {"since", utc_time_now()}};
  const std::string temp = write_temp(run_dir, token, me.dump() + "\n");
  struct Cleanup {
    std::string path;
    ~Cleanup() { ::unlink(path.c_str()); }
  } cleanup{temp};
  const auto make = [&](std::string how) {
    std::unique_ptr<RunClaim> c(new RunClaim(run_dir, token, settings, std::move(how)));
    c->note(c->how_);
    return c;
  };

  if (link_exclusive(temp, claim)) return make("claimed");
  const std::optional<ClaimInfo> held = read_claim(claim);
  if (!held) return link_exclusive(temp, claim) ? make("claimed") : nullptr;  // released meanwhile

  // Is the holder dead?
  std::string why_stale;
  if (!held->machine.empty() && held->machine == machine_identity() && !process_alive(held->pid)) {
    why_stale = fmt::format("its process is gone");
  } else {
    const double age = seconds_between(held->mtime, file_clock_now(run_dir, token));
    if (age > settings.stale_after_s) why_stale = fmt::format("no heartbeat for {:.0f} s", age);
    else if (held_by) *held_by = fmt::format("{}, heartbeat {:.0f} s ago", describe(*held), std::max(age, 0.0));
  }
  if (why_stale.empty()) return nullptr;

  // Take it over, one worker at a time.
  const std::string takeover = (fs::path(run_dir) / ".claim.takeover").string();
  if (!link_exclusive(temp, takeover)) {
    struct stat st {};
    const bool abandoned = ::stat(takeover.c_str(), &st) == 0 &&
                           seconds_between(st.st_mtim, file_clock_now(run_dir, token)) > kTakeoverStaleS;
    if (!abandoned || ::unlink(takeover.c_str()) != 0 || !link_exclusive(temp, takeover)) {
      if (held_by) *held_by = fmt::format("{}, being taken over by another worker", describe(*held));
      return nullptr;
    }
  }
  struct Release {
    std::string path;
    ~Release() { ::unlink(path.c_str()); }
  } release{takeover};
  // Only the claim judged stale is replaced: one refreshed or replaced meanwhile is left alone.
  const std::optional<ClaimInfo> now = read_claim(claim);
  if (now && (now->token != held->token || seconds_between(held->mtime, now->mtime) != 0)) {
    if (held_by) *held_by = describe(*now);
    return nullptr;
  }
  if (now) ::unlink(claim.c_str());
  if (!link_exclusive(temp, claim)) {
    if (held_by) *held_by = "another worker (claimed it meanwhile)";
    return nullptr;
  }
  return make(fmt::format("took over from {}: {}", describe(*held), why_stale));
}

RunClaim::~RunClaim() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  heartbeat_.join();
  const std::string claim = (fs::path(run_dir_) / ".claim").string();
  try {
    const std::optional<ClaimInfo> held = read_claim(claim);
    if (held && held->token == token_) ::unlink(claim.c_str());
  } catch (const std::exception&) {
    // Unreadable: left for its staleness to release it.
  }
  note(lost_ ? "stepped aside: the claim was taken over by " + lost_to_ : "released");
}

bool RunClaim::renew() {
  std::lock_guard<std::mutex> lock(renew_mutex_);
  const std::string claim = (fs::path(run_dir_) / ".claim").string();
  std::optional<ClaimInfo> held = read_claim(claim);
  if (!held) {
    // Removed under us (by hand, or by a worker that claimed and released it while the run
    // folder's lock kept it out): ours again unless somebody else took it meanwhile.
    const nlohmann::json me = {{"host", host_name()}, {"machine", machine_identity()},
                               {"pid", static_cast<long>(::getpid())}, {"token", token_}, {"since", utc_time_now()}};
    const std::string temp = write_temp(run_dir_, token_, me.dump() + "\n");
    const bool ok = link_exclusive(temp, claim);
    ::unlink(temp.c_str());
    if (ok) return true;
    held = read_claim(claim);
    if (!held) return true;  // and gone again: the next beat recreates it
  }
  if (held->token == token_) {
    ::utimensat(AT_FDCWD, claim.c_str(), nullptr, 0);  // a failure is retried at the next beat
    return true;
  }
  lost_to_ = describe(*held);
  lost_.store(true);
  return false;
}

void RunClaim::heartbeat_loop() {
  const auto period = std::chrono::duration<double>(settings_.heartbeat_s());
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, period, [&] { return stopping_; });
    if (stopping_) break;
    try {
      if (!renew()) break;
    } catch (const std::exception&) {
      // A file server that is away: try again at the next beat; the claim goes stale only if
      // it stays away for stale_after_s.
    }
  }
}

void RunClaim::note(const std::string& what) const {
  const std::string line = fmt::format("{} host {} pid {}: {}\n", utc_time_now(), host_name(), ::getpid(), what);
  const std::string log = (fs::path(run_dir_) / "claims.log").string();
  const int fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;  // the log is informative; the claim itself is the file .claim
  [[maybe_unused]] const ssize_t n = ::write(fd, line.data(), line.size());
  ::close(fd);
}

}  // namespace aafgan::models
