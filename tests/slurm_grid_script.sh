#!/usr/bin/env bash
# tools/slurm_grid.sbatch outside Slurm, with the environment Slurm gives an array task and a
# stand-in scontrol: the task trains only its shard; SIGTERM to the batch shell (what
# --signal=B:TERM does before the time limit) checkpoints, exits 75 and requeues the task, and
# the requeued task resumes and completes.
#   slurm_grid_script.sh SBATCH_SCRIPT APP ARGS...
set -uo pipefail
script=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; cat "$tmp"/*.log >&2; exit 1; }
mkdir "$tmp/bin"
printf '#!/bin/sh\necho "$@" >> %s/scontrol.calls\n' "$tmp" > "$tmp/bin/scontrol"
chmod +x "$tmp/bin/scontrol"
export PATH="$tmp/bin:$PATH" SLURM_ARRAY_JOB_ID=99 SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=2 SLURM_ARRAY_TASK_MIN=0
exp="$tmp/out/experiment_mnist_condgan-mlp_lr001_decay95e31"

# Task 1 of 2 over a grid of two runs: the second run only.
bash "$script" "$@" --gen default,BHSA --epochs 1 --out "$tmp/out" > "$tmp/shard.log" 2>&1 || fail "shard task exited $?"
grep -q "shard 1/2 (SLURM_ARRAY_TASK_ID=1 of SLURM_ARRAY_TASK_COUNT=2): 1 of the grid's 2 run(s)" "$tmp/shard.log" ||
  fail "no shard line"
[ -f "$exp/output_Gen_BHSA/0/config.json" ] || fail "task 1 did not train its run"
[ -e "$exp/output/0" ] && fail "task 1 trained task 0's run"

# Task 0 (the one run of this grid), stopped by SIGTERM to the batch shell after its first epoch.
export SLURM_ARRAY_TASK_ID=0
bash "$script" "$@" --epochs 40 --out "$tmp/out2" > "$tmp/stop.log" 2>&1 &
shell=$!
for _ in $(seq 1 600); do
  grep -q "epoch 1/40" "$tmp/stop.log" && break
  kill -0 "$shell" 2>/dev/null || fail "the task ended before its first epoch"
  sleep 0.1
done
kill -TERM "$shell"
wait "$shell"
rc=$?
[ "$rc" -eq 75 ] || fail "stopped task exited $rc, expected 75"
grep -qx "requeue 99_0" "$tmp/scontrol.calls" || fail "the task was not requeued: $(cat "$tmp/scontrol.calls")"
bash "$script" "$@" --epochs 40 --out "$tmp/out2" > "$tmp/requeued.log" 2>&1 || fail "requeued task exited $?"
grep -q "resuming at epoch" "$tmp/requeued.log" || fail "the requeued task did not resume"
[ -f "$tmp/out2/experiment_mnist_condgan-mlp_lr001_decay95e31/output/0/config.json" ] || fail "not completed"
echo "shard 1/2 from the Slurm environment; SIGTERM → exit 75 → requeue 99_0 → resumed and completed"
