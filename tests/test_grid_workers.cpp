// Sharing a grid between workers (issue 13 §1): shards from flags and job-array environments,
// and claims on run folders (grid/run_claim.h) with heartbeats and takeover of dead workers.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "grid/grid_shard.h"
#include "grid/run_claim.h"
#include "grid/worker_identity.h"
#include "tests/temp_dir.h"

using namespace aafgan;
using namespace aafgan::models;
namespace fs = std::filesystem;

namespace {

std::function<const char*(const char*)> env_of(const std::map<std::string, std::string>& vars) {
  return [vars](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A claim file as another worker would have left it, its heartbeat `age_s` old.
void plant_claim(const fs::path& run, const nlohmann::json& holder, double age_s) {
  fs::create_directories(run);
  std::ofstream(run / ".claim") << holder.dump() << "\n";
  const auto t = std::chrono::system_clock::now() - std::chrono::duration_cast<std::chrono::seconds>(
                                                        std::chrono::duration<double>(age_s));
  const timespec when{std::chrono::system_clock::to_time_t(t), 0};
  const timespec times[2] = {when, when};
  REQUIRE(::utimensat(AT_FDCWD, (run / ".claim").c_str(), times, 0) == 0);
}

int count_lines_with(const std::string& text, const std::string& what) {
  int n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) n += line.find(what) != std::string::npos;
  return n;
}

}  // namespace

TEST_CASE("grid shard: I/N takes every N-th run from I") {
  const GridShard s = parse_grid_shard("1/3");
  CHECK(s.index == 1);
  CHECK(s.count == 3);
  std::vector<size_t> taken;
  for (size_t i = 0; i < 8; ++i)
    if (s.takes(i)) taken.push_back(i);
  CHECK(taken == std::vector<size_t>{1, 4, 7});
  CHECK(parse_grid_shard("0/1").whole());
  // Every run belongs to exactly one shard.
  for (size_t i = 0; i < 20; ++i) {
    int owners = 0;
    for (int k = 0; k < 4; ++k) owners += parse_grid_shard(std::to_string(k) + "/4").takes(i);
    CHECK(owners == 1);
  }
}

TEST_CASE("grid shard: malformed --shard values are refused with the rule") {
  for (const char* bad : {"4/4", "1", "a/b", "-1/4", "1/0", "/4", "1/", "1/4/5", "99999999999/2"})
    CHECK_THROWS_AS(parse_grid_shard(bad), Error);
  CHECK_THROWS_WITH(parse_grid_shard("4/4"), doctest::Contains("outside 0 … 3"));
}

TEST_CASE("grid shard: Slurm and AWS Batch array tasks") {
  CHECK_FALSE(grid_shard_from_environment(env_of({})).has_value());
  // --array=0-3
  GridShard s = *grid_shard_from_environment(env_of({{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}));
  CHECK(s.index == 2);
  CHECK(s.count == 4);
  CHECK(s.source.find("SLURM_ARRAY_TASK_ID=2") != std::string::npos);
  // --array=1-8 counts from 1; --array=10-16:2 steps by two.
  s = *grid_shard_from_environment(env_of(
      {{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "8"}, {"SLURM_ARRAY_TASK_MIN", "1"}}));
  CHECK(s.index == 0);
  s = *grid_shard_from_environment(env_of({{"SLURM_ARRAY_TASK_ID", "14"},
                                           {"SLURM_ARRAY_TASK_COUNT", "4"},
                                           {"SLURM_ARRAY_TASK_MIN", "10"},
                                           {"SLURM_ARRAY_TASK_STEP", "2"}}));
  CHECK(s.index == 2);
  s = *grid_shard_from_environment(env_of({{"AWS_BATCH_JOB_ARRAY_INDEX", "5"}, {"AWS_BATCH_JOB_ARRAY_SIZE", "6"}}));
  CHECK(s.index == 5);
  CHECK(s.count == 6);
  // Slurm wins over Batch.
  s = *grid_shard_from_environment(env_of({{"SLURM_ARRAY_TASK_ID", "0"},
                                           {"SLURM_ARRAY_TASK_COUNT", "2"},
                                           {"AWS_BATCH_JOB_ARRAY_INDEX", "1"},
                                           {"AWS_BATCH_JOB_ARRAY_SIZE", "2"}}));
  CHECK(s.index == 0);
  // A task index alone would silently train everything beside its siblings.
  CHECK_THROWS_WITH(grid_shard_from_environment(env_of({{"AWS_BATCH_JOB_ARRAY_INDEX", "1"}})),
                    doctest::Contains("AWS_BATCH_JOB_ARRAY_SIZE"));
  CHECK_THROWS_WITH(grid_shard_from_environment(env_of({{"SLURM_ARRAY_TASK_ID", "1"}})),
                    doctest::Contains("SLURM_ARRAY_TASK_COUNT"));
  CHECK_THROWS_AS(grid_shard_from_environment(env_of({{"SLURM_ARRAY_TASK_ID", "x"}, {"SLURM_ARRAY_TASK_COUNT", "2"}})),
                  Error);
  CHECK_THROWS_AS(grid_shard_from_environment(env_of({{"SLURM_ARRAY_TASK_ID", "4"}, {"SLURM_ARRAY_TASK_COUNT", "4"}})),
                  Error);
}

TEST_CASE("run claim: one holder at a time, released on destruction, logged") {
  testing::TempDir tmp("claim_basic");
  const std::string run = tmp.file("run");
  const ClaimSettings settings{30};
  std::string holder;
  {
    auto first = RunClaim::try_take(run, settings, &holder);
    REQUIRE(first);
    CHECK(first->how_taken() == "claimed");
    // Our own live claim counts as held (a second worker in this process would be refused too).
    auto second = RunClaim::try_take(run, settings, &holder);
    CHECK_FALSE(second);
    CHECK(holder.find("pid " + std::to_string(::getpid())) != std::string::npos);
    CHECK(holder.find("heartbeat") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(fs::path(run) / ".claim"));
  auto again = RunClaim::try_take(run, settings, &holder);
  CHECK(again);
  again.reset();
  const std::string log = read_all(fs::path(run) / "claims.log");
  CHECK(count_lines_with(log, "claimed") == 2);
  CHECK(count_lines_with(log, "released") == 2);
  // No temporaries are left in the folder.
  for (const auto& e : fs::directory_iterator(run)) CHECK(e.path().filename() == "claims.log");
}

TEST_CASE("run claim: a dead process's claim on this machine is taken over at once") {
  testing::TempDir tmp("claim_dead");
  const fs::path run = tmp.path() / "run";
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);  // a pid that is certainly gone
  plant_claim(run, {{"host", host_name()}, {"machine", machine_identity()}, {"pid", child}, {"token", "old"}, {"since", "x"}},
              0);
  std::string holder;
  auto c = RunClaim::try_take(run.string(), ClaimSettings{600}, &holder);
  REQUIRE(c);
  CHECK(c->how_taken().find("took over") != std::string::npos);
  CHECK(c->how_taken().find("process is gone") != std::string::npos);
  CHECK_FALSE(fs::exists(run / ".claim.takeover"));
}

TEST_CASE("run claim: a killed worker not yet reaped (a zombie) counts as gone") {
  testing::TempDir tmp("claim_zombie");
  const fs::path run = tmp.path() / "run";
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  // Not waited for: the child stays a zombie until the end of the case.
  for (int i = 0; i < 200; ++i) {
    std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
    std::string line;
    std::getline(stat, line);
    if (line.find(") Z") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK_FALSE(process_alive(child));
  CHECK(process_alive(::getpid()));
  plant_claim(run, {{"host", host_name()}, {"machine", machine_identity()}, {"pid", child}, {"token", "z"}, {"since", "x"}},
              0);
  auto c = RunClaim::try_take(run.string(), ClaimSettings{600}, nullptr);
  CHECK(c);
  ::waitpid(child, nullptr, 0);
}

TEST_CASE("run claim: another host's claim is taken over only once its heartbeat is stale") {
  testing::TempDir tmp("claim_stale");
  const fs::path run = tmp.path() / "run";
  const nlohmann::json elsewhere = {{"host", "node-17"}, {"machine", "node-17/boot/ns"}, {"pid", 1234}, {"token", "t"},
                                    {"since", "then"}};
  plant_claim(run, elsewhere, 5);
  std::string holder;
  CHECK_FALSE(RunClaim::try_take(run.string(), ClaimSettings{60}, &holder));
  CHECK(holder.find("host node-17 pid 1234") != std::string::npos);
  plant_claim(run, elsewhere, 120);
  auto c = RunClaim::try_take(run.string(), ClaimSettings{60}, &holder);
  REQUIRE(c);
  CHECK(c->how_taken().find("no heartbeat for 1") != std::string::npos);  // 120 s
  // A garbled claim file is somebody's too, judged by its age alone.
  c.reset();
  fs::create_directories(run);
  std::ofstream(run / ".claim") << "{not json";
  CHECK_FALSE(RunClaim::try_take(run.string(), ClaimSettings{60}, &holder));
}

TEST_CASE("run claim: the heartbeat keeps a claim fresh, and a taken-over holder learns it lost") {
  testing::TempDir tmp("claim_heartbeat");
  const fs::path run = tmp.path() / "run";
  const ClaimSettings settings{2};  // heartbeat every 1/3 s
  auto c = RunClaim::try_take(run.string(), settings, nullptr);
  REQUIRE(c);
  struct stat before {};
  REQUIRE(::stat((run / ".claim").c_str(), &before) == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  struct stat after {};
  REQUIRE(::stat((run / ".claim").c_str(), &after) == 0);
  CHECK(after.st_mtim.tv_sec * 1000000000L + after.st_mtim.tv_nsec >
        before.st_mtim.tv_sec * 1000000000L + before.st_mtim.tv_nsec);
  std::string holder;
  CHECK_FALSE(RunClaim::try_take(run.string(), settings, &holder));  // fresh although older than 2 s
  CHECK_FALSE(c->lost());
  // Removed by hand: the holder puts it back.
  fs::remove(run / ".claim");
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  CHECK(fs::exists(run / ".claim"));
  CHECK_FALSE(c->lost());
  // Replaced by another worker (this one was presumed dead): the holder notices and steps aside,
  // and its release leaves the new holder's claim in place.
  fs::remove(run / ".claim");
  plant_claim(run, {{"host", "node-3"}, {"machine", "m"}, {"pid", 77}, {"token", "theirs"}, {"since", "now"}}, 0);
  for (int i = 0; i < 30 && !c->lost(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(c->lost());
  CHECK(c->lost_to().find("host node-3 pid 77") != std::string::npos);
  c.reset();
  CHECK(read_all(run / ".claim").find("theirs") != std::string::npos);
  CHECK(read_all(run / "claims.log").find("stepped aside") != std::string::npos);
}

TEST_CASE("run claim: many processes racing for a stale claim, one wins") {
  testing::TempDir tmp("claim_race");
  const fs::path run = tmp.path() / "run";
  for (int round = 0; round < 5; ++round) {
    fs::remove_all(run);
    plant_claim(run, {{"host", "gone"}, {"machine", "gone"}, {"pid", 1}, {"token", "dead"}, {"since", "then"}}, 100);
    const fs::path wins = tmp.path() / "wins";
    fs::remove_all(wins);
    fs::create_directories(wins);
    std::vector<pid_t> kids;
    for (int k = 0; k < 6; ++k) {
      const pid_t pid = ::fork();
      if (pid == 0) {
        int code = 0;
        try {
          auto c = RunClaim::try_take(run.string(), ClaimSettings{10}, nullptr);
          if (c) {
            std::ofstream(wins / std::to_string(::getpid())) << "won";
            std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // hold it while the others try
          }
        } catch (...) {
          code = 1;
        }
        ::_exit(code);
      }
      kids.push_back(pid);
    }
    for (const pid_t pid : kids) {
      int status = 0;
      ::waitpid(pid, &status, 0);
      CHECK(WIFEXITED(status));
      CHECK(WEXITSTATUS(status) == 0);
    }
    int n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(wins)) ++n;
    CHECK(n == 1);
  }
}
