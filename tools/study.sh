#!/usr/bin/env bash
# The thesis study on the bundled MNIST (issue 14 §4): do adaptive output functions converge
# faster than tanh/sigmoid, and is MiDA as a hidden function at least as good as Mish?
#
#   tools/study.sh BUILD_DIR OUT_DIR [EPOCHS=15] [SEEDS=3] [WORKERS=2]
#
# Runs, with the reference hyperparameters (gan-protocol.md §1), every seed of:
#   G output in {default, BHSA, BHAA, BHATA, BHANA, DSILU} with D default,
#   D output in {BHSA, BHAA, BHATA, BHANA, DSILU} with G default,
#   hidden {SHReLU, Mish, MiDA} in G only, in D only, and in both,
# then writes the report (report.html, summary.md/csv) into OUT_DIR/report. WORKERS processes
# share the grid with --claim, one CPU thread each. Rerunning the same command resumes: finished
# runs are kept, a stopped one continues from its checkpoint.
set -euo pipefail
build=${1:?usage: tools/study.sh BUILD_DIR OUT_DIR [EPOCHS] [SEEDS] [WORKERS]}
out=${2:?usage: tools/study.sh BUILD_DIR OUT_DIR [EPOCHS] [SEEDS] [WORKERS]}
epochs=${3:-15}
seeds=${4:-3}
workers=${5:-2}
app="$build/mnist_condgan"
[ -x "$app" ] || { echo "study: build $build first (mnist_condgan, aafgan_report)" >&2; exit 1; }
if [ ! -x "$build/aafgan_report" ]; then
  # An optional part (cmake/optional_parts.cmake): configure says whether it was built.
  echo "study: $build has no aafgan_report: the report is built only where Boost was found at configure time" \
       "(install libboost-dev and configure again; configure's \"aafgan: report\" line says which)" >&2
  exit 1
fi
mkdir -p "$out"
common=(--device auto --epochs "$epochs" --seeds "$seeds" --threads 1 --out "$out" --claim)

# The parts of the grid, each one invocation: runs shared between parts (the all-default one)
# are trained once and then found complete.
# The order puts first what each claim needs most: G's output, then G's hidden function.
parts=(
  "--gen default,BHSA,BHAA,BHATA,BHANA,DSILU"
  "--gen-hidden SHReLU,Mish,MiDA"
  "--dis BHSA,BHAA,BHATA,BHANA,DSILU"
  "--dis-hidden SHReLU,Mish,MiDA"
)
both=(SHReLU Mish MiDA)

worker() {
  local w=$1 rc=0 part h
  for part in "${parts[@]}"; do
    # shellcheck disable=SC2086  # a part is several words on purpose
    "$app" "${common[@]}" $part >> "$out/worker$w.log" 2>&1 || rc=$?
    [ "$rc" -eq 75 ] && return 75
  done
  for h in "${both[@]}"; do
    "$app" "${common[@]}" --gen-hidden "$h" --dis-hidden "$h" >> "$out/worker$w.log" 2>&1 || rc=$?
    [ "$rc" -eq 75 ] && return 75
  done
  return "$rc"
}

echo "study: $epochs epochs, $seeds seeds, $workers workers into $out (logs: $out/worker*.log)"
pids=()
for w in $(seq 1 "$workers"); do
  worker "$w" &
  pids+=($!)
done
trap 'kill -TERM "${pids[@]}" 2>/dev/null' INT TERM
status=0
for p in "${pids[@]}"; do wait "$p" || status=$?; done
[ "$status" -eq 75 ] && { echo "study: stopped; rerun the same command to continue" >&2; exit 75; }

exp="$out/experiment_mnist_condgan-mlp_lr001_decay95e31"
# 15 epochs on 10,000 digits stay well below the report's default 50/80/90 % thresholds.
"$build/aafgan_report" "$exp" --out "$out/report" --thresholds 20,30,40,50 || status=$?
echo "study: report in $out/report/report.html (grid exit $status)"
exit "$status"
