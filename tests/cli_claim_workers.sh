#!/usr/bin/env bash
# Several workers share one output folder with --claim (issue 13 §1): every run of the grid is
# completed exactly once, a killed worker's run is taken over and finished by another, and a
# stale claim left by a worker of another host is taken over after its timeout.
#   cli_claim_workers.sh APP ARGS...   (ARGS: a small, fast grid)
set -uo pipefail
out=$(mktemp -d)
pids=()
trap 'kill -9 "${pids[@]}" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$out"; echo "$out"' EXIT
fail() { echo "FAIL: $*" >&2; for f in "$out"/worker*.log; do echo "--- $f" >&2; tail -n 20 "$f" >&2; done; exit 1; }
exp="$out/experiment_mnist_condgan-mlp_lr001_decay95e31"

# A claim left by a worker of another host that died an hour ago.
planted="$exp/output_Gen_BHAA/1"
mkdir -p "$planted"
echo '{"host":"node-gone","machine":"node-gone/x/y","pid":4242,"token":"old","since":"an hour ago"}' > "$planted/.claim"
touch -d '1 hour ago' "$planted/.claim"

for w in 1 2 3; do
  "$@" --out "$out" --claim --claim-timeout 4 > "$out/worker$w.log" 2>&1 &
  pids+=($!)
done

# Freeze worker 1 while it holds a claim, then kill it there: its run must be finished by another.
victim=""
stopped() { [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = T ]; }
for _ in $(seq 1 600); do
  kill -STOP "${pids[0]}" 2>/dev/null || fail "worker 1 ended before it could be killed"
  # SIGSTOP takes effect asynchronously: look at the claims only once the worker is frozen.
  for _ in $(seq 1 100); do stopped "${pids[0]}" && break; sleep 0.01; done
  stopped "${pids[0]}" || fail "worker 1 did not stop"
  victim=$(grep -l "\"pid\":${pids[0]}," "$exp"/*/*/.claim 2>/dev/null | head -n 1)
  # A claim on a run it has just completed (about to be released) would need no takeover.
  if [ -n "$victim" ] && [ ! -e "$(dirname "$victim")/config.json" ]; then kill -9 "${pids[0]}"; break; fi
  victim=""
  kill -CONT "${pids[0]}"
  sleep 0.05
done
[ -n "$victim" ] || fail "worker 1 never held a claim"
victim=$(dirname "$victim")
wait "${pids[0]}" 2>/dev/null

for i in 1 2; do
  for _ in $(seq 1 1200); do kill -0 "${pids[$i]}" 2>/dev/null || break; sleep 0.1; done
  kill -0 "${pids[$i]}" 2>/dev/null && fail "worker $((i + 1)) still running after 120 s"
  wait "${pids[$i]}"
  rc=$?
  [ "$rc" -eq 0 ] || fail "worker $((i + 1)) exited $rc"
done

runs=$(ls -d "$exp"/*/* | wc -l)
[ "$runs" -ge 4 ] || fail "only $runs run folders"
dupes=0
for run in "$exp"/*/*; do
  [ -f "$run/config.json" ] || fail "$run is not complete"
  n=$(cat "$out"/worker*.log | grep -cF " completed (${run})")
  [ "$n" -eq 1 ] || { echo "$run completed $n times" >&2; dupes=$((dupes + 1)); }
  [ -e "$run/.claim" ] && fail "$run still has a claim"
  ls -a "$run" | grep -q '^\.claim\.' && fail "$run has leftover claim files: $(ls -a "$run")"
done
[ "$dupes" -eq 0 ] || fail "$dupes run(s) not completed exactly once"
grep -q "took over from host .* pid ${pids[0]} .*process is gone" "$victim/claims.log" ||
  fail "the killed worker's run $victim was not taken over: $(cat "$victim/claims.log")"
grep -q "took over from host node-gone pid 4242.*no heartbeat" "$planted/claims.log" ||
  fail "the stale claim was not taken over: $(cat "$planted/claims.log" 2>/dev/null)"
echo "$runs runs, each completed exactly once by 2 surviving workers; killed worker's run $(basename "$(dirname "$victim")")/$(basename "$victim") taken over; stale foreign claim taken over"
