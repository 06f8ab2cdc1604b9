#include "grid/grid_shard.h"

#include <cstdlib>
#include <limits>

#include <fmt/format.h>

#include "base/error.h"

namespace aafgan::models {

namespace {

// A whole non-negative decimal that fits an int, or nullopt.
std::optional<long> parse_count(const std::string& s) {
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stol(s);
}

long env_number(const std::function<const char*(const char*)>& getenv, const char* name) {
  const char* v = getenv(name);
  const std::optional<long> n = v ? parse_count(v) : std::nullopt;
  if (!n) fail("{}={}: expected a non-negative whole number", name, v ? v : "");
  return *n;
}

GridShard checked(long index, long count, std::string source) {
  if (count < 1) fail("{}: the number of shards must be at least 1", source);
  if (index < 0 || index >= count)
    fail("{}: shard index {} is outside 0 … {} (I/N counts shards from 0)", source, index, count - 1);
  return GridShard{static_cast<int>(index), static_cast<int>(count), std::move(source)};
}

}  // namespace

GridShard parse_grid_shard(const std::string& spec, const std::string& what) {
  const size_t slash = spec.find('/');
  const std::optional<long> i = slash == std::string::npos ? std::nullopt : parse_count(spec.substr(0, slash));
  const std::optional<long> n = slash == std::string::npos ? std::nullopt : parse_count(spec.substr(slash + 1));
  if (!i || !n) fail("{} {}: expected I/N, e.g. 0/4 for the first of four shards", what, spec);
  return checked(*i, *n, fmt::format("{} {}", what, spec));
}

std::optional<GridShard> grid_shard_from_environment(const std::function<const char*(const char*)>& getenv) {
  if (getenv("SLURM_ARRAY_TASK_ID")) {
    if (!getenv("SLURM_ARRAY_TASK_COUNT"))
      fail("SLURM_ARRAY_TASK_ID is set without SLURM_ARRAY_TASK_COUNT (Slurm 17.11 or newer sets both); pass --shard I/N");
    const long id = env_number(getenv, "SLURM_ARRAY_TASK_ID");
    const long count = env_number(getenv, "SLURM_ARRAY_TASK_COUNT");
    const long min = getenv("SLURM_ARRAY_TASK_MIN") ? env_number(getenv, "SLURM_ARRAY_TASK_MIN") : 0;
    const long step = getenv("SLURM_ARRAY_TASK_STEP") ? env_number(getenv, "SLURM_ARRAY_TASK_STEP") : 1;
    if (step < 1 || id < min || (id - min) % step != 0)
      fail("SLURM_ARRAY_TASK_ID={} does not lie on the array's range (min {}, step {})", id, min, step);
    return checked((id - min) / step, count,
                   fmt::format("SLURM_ARRAY_TASK_ID={} of SLURM_ARRAY_TASK_COUNT={}", id, count));
  }
  if (getenv("AWS_BATCH_JOB_ARRAY_INDEX")) {
    if (!getenv("AWS_BATCH_JOB_ARRAY_SIZE"))
      fail("AWS_BATCH_JOB_ARRAY_INDEX is set without AWS_BATCH_JOB_ARRAY_SIZE: set the array size in the job's "
           "environment (tools/aws_batch_job_definition.json) or pass --shard I/N");
    const long index = env_number(getenv, "AWS_BATCH_JOB_ARRAY_INDEX");
    const long size = env_number(getenv, "AWS_BATCH_JOB_ARRAY_SIZE");
    return checked(index, size, fmt::format("AWS_BATCH_JOB_ARRAY_INDEX={} of AWS_BATCH_JOB_ARRAY_SIZE={}", index, size));
  }
  return std::nullopt;
}

}  // namespace aafgan::models
