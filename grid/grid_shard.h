#pragma once
// Splitting a grid over independent workers (issue 13 §1): worker I of N takes the runs whose
// position in the expanded grid is I, I+N, I+2N, … Every worker expands the same grid from the
// same config, so no coordinator is needed and each run belongs to exactly one worker.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace aafgan::models {

struct GridShard {
  int index = 0, count = 1;  // 0 <= index < count
  std::string source;        // where it came from, for the log ("--shard", "SLURM_ARRAY_TASK_ID=…")

  bool takes(size_t run_position) const { return static_cast<int>(run_position % static_cast<size_t>(count)) == index; }
  bool whole() const { return count == 1; }
};

// "I/N" with 0 <= I < N (e.g. 0/4 … 3/4); throws an Error naming `what` otherwise.
GridShard parse_grid_shard(const std::string& spec, const std::string& what = "--shard");

// The shard of a job-array task, when the environment names one:
//   Slurm:     SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (with SLURM_ARRAY_TASK_MIN and
//              SLURM_ARRAY_TASK_STEP, so that --array=1-8 or --array=0-14:2 map onto 0 … N−1);
//   AWS Batch: AWS_BATCH_JOB_ARRAY_INDEX and AWS_BATCH_JOB_ARRAY_SIZE (Batch sets the index; the
//              size is passed by the job definition, tools/aws_batch_job_definition.json).
// Slurm wins when both are set. An index without its count, or values that do not fit, throw:
// a silently unsharded worker would train every run of the grid beside its siblings.
// `getenv` is injectable for tests.
std::optional<GridShard> grid_shard_from_environment(
    const std::function<const char*(const char*)>& getenv = [](const char* name) { return std::getenv(name); });

}  // namespace aafgan::models
