#!/usr/bin/env bash
# Full disk (issue 13 §9): a run whose checkpoint write fails for want of space must say so once,
# by name, exit 3 (the run failed), keep the previous checkpoint byte for byte and every other
# output whole, leave no temporary, and resume to the uninterrupted run's exact results once
# there is space again (after removing its error.txt, as the README says).
#
#   tools/full_disk.sh APP_BINARY [efbig|enospc|all]     (default all)
#
# efbig:  the file size limit (ulimit -f 20000, 20 MB; the checkpoint is 35 MB): EFBIG, or the
#         SIGXFSZ that kills an unprepared process.
# enospc: a 60 MB tmpfs (the checkpoint and its 35 MB temporary do not fit together): ENOSPC.
#         Mounted in a private user and mount namespace (unshare -rm), so it needs no root and
#         leaves nothing mounted; skipped where unshare is not allowed.
set -uo pipefail

usage="usage: $0 APP_BINARY [efbig|enospc|all]"
APP=$(realpath "${1:?$usage}")
MODE=${2:-all}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/fault_lib.sh"
DATA=${FAULT_DATA:-$here/../data/mnist}

fail() { echo "FAIL ($MODE): $*" >&2; exit 1; }

# The whole scenario in folder $1; `limited CMD...` runs a command with the space limited.
scenario() {
  local work=$1 out=$1/disk/out
  local -a args
  mkdir -p "$out"
  mapfile -t args < <(fault_args "$DATA" "$work/ref")
  "$APP" "${args[@]}" >"$work/ref.log" 2>&1 || fail "reference run: $(tail -n 3 "$work/ref.log")"
  mapfile -t args < <(fault_args "$DATA" "$out")

  # 1. Some progress with space to spare: stopped (SIGTERM) once the first checkpoint exists.
  "$APP" "${args[@]}" >"$work/1.log" 2>&1 &
  local pid=$! run=""
  until [ -n "$run" ] && [ -f "$run/model_checkpoints/last.ckpt" ]; do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
    run=$(run_dir "$out")
  done
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"
  local rc=$?
  [ "$rc" = 75 ] || fail "first start: exit $rc, expected 75 (stopped after a checkpoint): $(tail -n 3 "$work/1.log")"
  local before ckpt
  before=$(cd "$run" && find . -type f ! -name .lock | sort)
  ckpt=$(sha256sum <"$run/model_checkpoints/last.ckpt")

  # 2. The disk fills: the next checkpoint cannot be written.
  limited "$APP" "${args[@]}" >"$work/2.log" 2>&1
  rc=$?
  [ "$rc" = 3 ] || fail "start on a full disk: exit $rc, expected 3 (run failed): $(tail -n 3 "$work/2.log")"
  grep -q "failed: .*$EXPECT" "$work/2.log" || fail "no '$EXPECT' failure in the output: $(cat "$work/2.log")"
  [ "$(grep -c "$EXPECT" "$work/2.log")" -le 2 ] || fail "the error is repeated: $(cat "$work/2.log")"  # message + table
  grep -q "$EXPECT" "$run/error.txt" || fail "error.txt does not give the reason: $(cat "$run/error.txt")"
  [ "$(sha256sum <"$run/model_checkpoints/last.ckpt")" = "$ckpt" ] || fail "the previous checkpoint changed"
  while read -r f; do [ -f "$run/$f" ] || fail "output lost: $f"; done <<<"$before"
  local bad left
  bad=$(check_whole "$run") && [ -z "$bad" ] || fail "torn outputs: $bad"
  left=$(temps_in "$run") && [ -z "$left" ] || fail "temporaries left: $left"

  # 3. Space again: the run resumes from the kept checkpoint to the uninterrupted run's results.
  unlimited
  rm "$run/error.txt"
  "$APP" "${args[@]}" >"$work/3.log" 2>&1 || fail "resume with space: exit $?: $(tail -n 3 "$work/3.log")"
  grep -q "resuming at epoch" "$work/3.log" || fail "the last start did not resume: $(head -n 5 "$work/3.log")"
  local diffs
  diffs=$(compare_runs "$(run_dir "$work/ref")" "$run")
  [ -z "$diffs" ] || fail "resumed outputs differ from the uninterrupted run: $diffs"
  echo "$MODE: checkpoint write failed with '$EXPECT' (exit 3), previous checkpoint kept, resumed identically"
}

case $MODE in
  all)
    "$0" "$APP" efbig || exit 1
    exec "$0" "$APP" enospc
    ;;
  efbig)
    work=$(mktemp -d "${TMPDIR:-/tmp}/full_disk.XXXXXX") && trap 'rm -rf "$work"' EXIT
    EXPECT="File too large"
    limited() { (ulimit -f 20000 && exec "$@"); }  # in KiB; a subshell, so the limit ends with it
    unlimited() { :; }
    scenario "$work"
    ;;
  enospc)
    if [ -z "${FULL_DISK_IN_NAMESPACE:-}" ]; then
      if ! unshare -rm true 2>/dev/null; then
        echo "skipped: enospc needs unshare -rm (user and mount namespaces) to mount a private tmpfs"
        exit 0
      fi
      FULL_DISK_IN_NAMESPACE=1 exec unshare -rm "$0" "$APP" enospc
    fi
    work=$(mktemp -d "${TMPDIR:-/tmp}/full_disk.XXXXXX") && trap 'umount "$work/disk" 2>/dev/null; rm -rf "$work"' EXIT
    mkdir -p "$work/disk" && mount -t tmpfs -o size=60m tmpfs "$work/disk" || fail "cannot mount a tmpfs"
    EXPECT="No space left on device"
    limited() { "$@"; }  # the space is what the tmpfs has
    unlimited() { mount -o remount,size=1g "$work/disk" || fail "cannot grow the tmpfs"; }
    scenario "$work"
    ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
