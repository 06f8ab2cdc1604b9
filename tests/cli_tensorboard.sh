#!/usr/bin/env bash
# Issue 15: both apps' TensorBoard event files read back with TensorBoard's own loader hold what
# metrics.csv and samples_img/ hold (tests/check_tensorboard_run.py), also after a SIGTERM stop
# and a SIGKILL, each resumed: no step is logged twice and every value equals an uninterrupted
# run's; a killed run's files load as they are; --no-tensorboard writes none.
#
#   cli_tensorboard.sh PYTHON MNIST_CONDGAN CELEBA_DCGAN MNIST_DATA_DIR
set -uo pipefail
PY=$1 APP=$2 DCGAN=$3 DATA=$4
here=$(cd "$(dirname "$0")" && pwd)
if ! "$PY" -c "import tensorboard" 2>/dev/null; then
  echo "skipped: $PY cannot import the tensorboard package (tools/setup.sh --test installs it in .venv)"
  exit 0
fi
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive  # one thread: bit-identical reruns
work=$(mktemp -d "${TMPDIR:-/tmp}/cli_tensorboard.XXXXXX")
trap 'rm -rf "$work"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# 3 epochs of 40 batches, about 1 s each; adaptive layers in both networks.
args=(--device cpu --classifier none --threads 1 --seed 7 --data "$DATA" --batch-size 50 --max-images 2000
      --epochs 3 --log-every 7 --gen-hidden MiDA --dis-hidden SHReLU --parzen)
features=(--features G.hidden1.MiDA.lambda=256 --features G.hidden3.MiDA.tau=1024 --features D.hidden1.SHReLU.tau=1024)
run_dir() { find "$1" -name metrics.csv -printf '%h\n' | head -n 1; }
check() { "$PY" "$here/check_tensorboard_run.py" "$@" --batches 40 --log-every 7 "${features[@]}" || fail "check_tensorboard_run.py $*"; }

"$APP" "${args[@]}" --out "$work/ref" > "$work/ref.log" 2>&1 || { cat "$work/ref.log"; fail "the reference run failed"; exit 1; }
ref=$(run_dir "$work/ref")
check "$ref" --damaged-copies

"$APP" "${args[@]/--parzen/--no-tensorboard}" --out "$work/off" > "$work/off.log" 2>&1 || fail "--no-tensorboard run failed"
[ -d "$(run_dir "$work/off")/tensorboard" ] && fail "--no-tensorboard wrote $(run_dir "$work/off")/tensorboard"

# Interrupts a run with signal $1 after a delay, resuming until it completes. The delay halves
# until a signal lands before the run's end (a run that completes first tests nothing).
interrupted_run() {
  local sig=$1 out=$work/$1 delay=2.0 rc tries=0
  while :; do
    rm -rf "$out"
    "$APP" "${args[@]}" --out "$out" > "$out.log" 2>&1 &
    local pid=$!
    sleep "$delay"
    kill -"$sig" "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rc=$?
    [ "$rc" -ne 0 ] && break
    tries=$((tries + 1))
    [ "$tries" -lt 6 ] || { fail "SIGTERM/SIGKILL never landed before the run's end"; return; }
    delay=$(awk -v d="$delay" 'BEGIN { print d / 2 }')
  done
  echo "SIG$sig after ${delay}s: exit $rc"
  case $sig in
    TERM) [ "$rc" = 75 ] || fail "SIGTERM: exit $rc, expected 75 (stopped after a checkpoint)" ;;
    KILL) [ "$rc" = 137 ] || fail "SIGKILL: exit $rc" ;;
  esac
  local dir
  dir=$(find "$out" -name tensorboard -type d | head -n 1)
  if [ -n "$dir" ]; then
    # As the kill left them: TensorBoard loads them (up to the last whole record).
    "$PY" -c "
import glob, sys
from tensorboard.backend.event_processing import event_file_loader as l
n = sum(len(list(l.LegacyEventFileLoader(f).Load())) for f in sorted(glob.glob(sys.argv[1] + '/*tfevents*')))
print('the interrupted run\'s event files load:', n, 'events')" "$dir" || fail "SIG$sig: the interrupted run's files do not load"
  fi
  "$APP" "${args[@]}" --out "$out" > "$out.resume.log" 2>&1 || { cat "$out.resume.log"; fail "SIG$sig: the resumed run failed"; return; }
  grep -q "resuming at" "$out.resume.log" || echo "note: SIG$sig landed before the first checkpoint; the rerun started over"
  check "$(run_dir "$out")" --same-as "$ref"
}
interrupted_run TERM
interrupted_run KILL

# The DCGAN app: 2 epochs of 2 batches of random 64×64 images, a BHSA output.
"$DCGAN" --device cpu --threads 1 --dataset fake --fake-images 32 --batch-size 16 --epochs 2 --log-every 1 --gen BHSA \
  --out "$work/dcgan" > "$work/dcgan.log" 2>&1 || { cat "$work/dcgan.log"; fail "the DCGAN run failed"; }
"$PY" "$here/check_tensorboard_run.py" "$(run_dir "$work/dcgan")" --batches 2 --log-every 1 --features G.out.BHSA.lambda=12288 ||
  fail "check_tensorboard_run.py (DCGAN)"

[ "$failed" = 0 ] && echo "cli_tensorboard: all checks passed"
exit "$failed"
