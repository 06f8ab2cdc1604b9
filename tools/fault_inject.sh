#!/usr/bin/env bash
# Fault injection (issue 13 §9): kill a training run at random moments, resume it with the same
# command until it completes, and check that it ends exactly where an uninterrupted run ends.
#
#   tools/fault_inject.sh APP_BINARY [TRIALS=30] [SEED=1]     (APP_BINARY: ./mnist_condgan)
#
# Each trial trains the tiny run of tools/fault_lib.sh in a fresh folder and interrupts up to
# FAULT_MAX_KILLS (default 5) of its starts, each in one randomly chosen way:
#   time       SIGKILL after a random delay (anywhere: start-up, a batch, a metric, a write)
#   term       SIGTERM after a random delay (the graceful stop: checkpoint mid-epoch, exit 75)
#   term_kill  SIGTERM, then SIGKILL 0–0.3 s later (lands in the stop's checkpoint write)
#   rename, fsync, write, openat
#              SIGKILL on entering the K-th such system call (strace fault injection), K drawn
#              over an uninterrupted run's count: kills inside checkpoint and output writes,
#              between a temporary's write and its rename, after the rename, ...
# then runs it uninterrupted to the end. After every start it checks that no output is empty or
# torn, and after every start that exits normally (0 or 75) that no temporary is left; at the
# end that every output equals the reference run's (metrics.csv, stats/*.csv, the sample and
# loss PNGs, config.json, and the checkpoint's tensors and metadata), the wall-clock epoch
# times excepted. Exits 1 on any mismatch, torn file, leftover temporary or unexpected exit.
# FAULT_DIR: the work folder (default: a new one under /dev/shm, where fsync is free; the
# kill points are the same system calls on any file system). FAULT_DATA: the MNIST folder.
set -uo pipefail

usage="usage: $0 APP_BINARY [TRIALS] [SEED]"
APP=${1:?$usage}
TRIALS=${2:-30}
SEED=${3:-1}
MAX_KILLS=${FAULT_MAX_KILLS:-5}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/fault_lib.sh"
DATA=${FAULT_DATA:-$here/../data/mnist}
command -v strace >/dev/null || { echo "$0: strace is needed (apt-get install strace)" >&2; exit 1; }
[ -x "$APP" ] || { echo "$0: $APP is not an executable" >&2; exit 1; }

if [ -n "${FAULT_DIR:-}" ]; then
  work=$FAULT_DIR && mkdir -p "$work"
else
  base=/dev/shm && [ -w "$base" ] || base=${TMPDIR:-/tmp}
  work=$(mktemp -d "$base/fault_inject.XXXXXX")
  trap '[ ${#failures[@]} -gt 0 ] && echo "kept for inspection: $work" || rm -rf "$work"' EXIT
fi
RANDOM=$SEED  # the whole sequence of kinds, delays and K is reproducible from SEED

kinds=(time term term_kill rename fsync write openat)
declare -A tried=() hit=() total=()
failures=()
resumes=0 identical=0 mid_write=0 mid_ckpt=0

fail() { failures+=("$1"); echo "  FAIL: $1"; }

# A random delay in [0, $ref_seconds) seconds, to the millisecond.
random_delay() { awk -v r="$RANDOM" -v t="$ref_seconds" 'BEGIN { printf "%.3f", r / 32768 * t }'; }

# One start of the run in $1, interrupted as kind $2 says (none: not at all); log in $3. Returns
# the exit status as the shell sees it (137 for a SIGKILL).
start_run() {
  local out=$1 kind=$2 log=$3 pid
  local -a args
  mapfile -t args < <(fault_args "$DATA" "$out")
  case $kind in
    none) "$APP" "${args[@]}" >"$log" 2>&1 ;;
    time | term | term_kill)
      "$APP" "${args[@]}" >"$log" 2>&1 &
      pid=$!
      sleep "$(random_delay)"
      case $kind in
        time) kill -KILL "$pid" 2>/dev/null ;;
        term) kill -TERM "$pid" 2>/dev/null ;;
        term_kill) kill -TERM "$pid" 2>/dev/null && sleep "0.$((RANDOM % 300))" && kill -KILL "$pid" 2>/dev/null ;;
      esac
      wait "$pid"
      ;;
    *)
      local k=$((RANDOM % total[$kind] + 1)) sys=$kind
      [ "$kind" = rename ] && sys=rename,renameat,renameat2
      echo "strace inject $kind at call $k" >"$log"
      strace -f -o /dev/null -e inject="$sys:signal=KILL:when=$k" "$APP" "${args[@]}" >>"$log" 2>&1
      ;;
  esac
}

# --- The reference: two uninterrupted runs, which must agree (the run is deterministic), one
# timed (the range of the random delays), one counting the system calls strace can kill at.
echo "reference runs ..."
start=$(date +%s.%N)
start_run "$work/ref" none "$work/ref.log" || { echo "reference run failed:"; tail "$work/ref.log"; exit 1; }
ref_seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
mapfile -t args < <(fault_args "$DATA" "$work/ref2")
strace -f -c -o "$work/ref2.strace" -e trace=rename,renameat,renameat2,fsync,write,openat "$APP" "${args[@]}" \
  >"$work/ref2.log" 2>&1 || { echo "reference run under strace failed:"; tail "$work/ref2.log"; exit 1; }
for kind in rename fsync write openat; do
  total[$kind]=$(awk -v s="$kind" '$NF == s { print $4 }' "$work/ref2.strace")
  [ -n "${total[$kind]}" ] || { echo "no $kind calls counted in $work/ref2.strace" >&2; exit 1; }
done
ref=$(run_dir "$work/ref")
nondet=$(compare_runs "$ref" "$(run_dir "$work/ref2")")
if [ -n "$nondet" ]; then
  echo "two uninterrupted runs differ (training is not deterministic):"
  echo "$nondet"
  exit 1
fi
echo "uninterrupted: ${ref_seconds} s; calls: rename ${total[rename]}, fsync ${total[fsync]}, write ${total[write]}, openat ${total[openat]}"
rm -rf "$work/ref2"

# --- The trials.
for ((t = 1; t <= TRIALS; t++)); do
  out=$work/trial$t
  rm -rf "$out"
  done_ok=0 starts=0 log_kinds=""
  while ((starts < MAX_KILLS + 2)); do
    if ((starts < MAX_KILLS)); then kind=${kinds[RANDOM % ${#kinds[@]}]}; else kind=none; fi
    ((starts > 0)) && ((resumes++))
    ((starts++))
    log=$out.start$starts.log
    start_run "$out" "$kind" "$log" 2>/dev/null  # without the shell's "Killed" notices
    rc=$?
    [ "$kind" = none ] || tried[$kind]=$((${tried[$kind]:-0} + 1))
    run=$(run_dir "$out")
    # What a start may end with: complete; killed; stopped after a checkpoint (75); a SIGTERM
    # before the handlers are installed, during start-up (143).
    case "$kind:$rc" in
      *:0) ;;
      time:137 | term_kill:137 | rename:137 | fsync:137 | write:137 | openat:137 | term:75 | term_kill:75 | \
        term:143 | term_kill:143)
        hit[$kind]=$((${hit[$kind]:-0} + 1))
        log_kinds+=" $kind/$rc" ;;
      *)
        fail "trial $t start $starts ($kind): exit $rc: $(tail -n 3 "$log" | tr '\n' ' ')${run:+ $(cat "$run/error.txt" 2>/dev/null)}"
        break ;;
    esac
    if [ -n "$run" ]; then
      while IFS= read -r bad; do fail "trial $t start $starts ($kind): $bad"; done < <(check_whole "$run")
      left=$(temps_in "$run")
      if [ "$rc" = 137 ] && [ -n "$left" ]; then
        ((mid_write++))
        grep -q 'last\.ckpt\.tmp' <<<"$left" && ((mid_ckpt++))
      fi
      # A start that ends normally has removed its own temporaries and every stale one.
      if [ "$rc" = 0 ] || [ "$rc" = 75 ]; then
        [ -z "$left" ] || fail "trial $t start $starts ($kind): temporaries left after exit $rc: $left"
      fi
    fi
    if [ "$rc" = 0 ]; then done_ok=1; break; fi
  done
  if ((done_ok)); then
    diffs=$(compare_runs "$ref" "$run")
    if [ -z "$diffs" ]; then
      ((identical++))
      echo "trial $t: $starts start(s), interrupted:${log_kinds:- none}; identical"
      rm -rf "$out" "$out".start*.log
    else
      fail "trial $t: outputs differ from the uninterrupted run ($out kept): $(tr '\n' ';' <<<"$diffs")"
    fi
  else
    [ "$rc" = 0 ] || [ ${#failures[@]} -gt 0 ] || fail "trial $t: not complete after $starts starts"
    echo "trial $t: kept in $out"
  fi
done

# --- Summary.
echo
echo "fault injection: $TRIALS trial(s), seed $SEED, $resumes resume(s), $identical identical to the uninterrupted run"
printf '  %-10s %8s %12s\n' kind tried interrupted
n=0
for kind in "${kinds[@]}"; do
  printf '  %-10s %8d %12d\n' "$kind" "${tried[$kind]:-0}" "${hit[$kind]:-0}"
  n=$((n + ${hit[$kind]:-0}))
done
echo "  $n interruption(s); $mid_write SIGKILL(s) left a temporary behind (inside a write), $mid_ckpt of them a checkpoint's"
if [ ${#failures[@]} -gt 0 ]; then
  echo "${#failures[@]} failure(s):"
  printf '  %s\n' "${failures[@]}"
  exit 1
fi
echo "no mismatch, no torn file, no leftover temporary"
