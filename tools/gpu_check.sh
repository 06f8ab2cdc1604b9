#!/usr/bin/env bash
# The GPU machine's one call: configure and build with CUDA (cuDNN required), run the GPU cases
# of the suite with a GPU required, train both apps briefly on the GPU, compute-sanitizer on the
# kernel tests, then the benchmarks against PyTorch on the same GPU. Made for a bare machine
# (CUDA, CMake and ninja from pip, PyTorch, cuDNN only as the nvidia-cudnn wheel, no -dev
# packages): the core libraries come from .gpudeps/ (tools/gpu_deps.sh, carried with the tree),
# the optional parts are left out by configure (cmake/optional_parts.cmake).
#
#   tools/gpu_check.sh              on a GPU machine (exit 2 without a GPU)
#   tools/gpu_check.sh --rehearse   here, on a CPU machine, in the GPU machine's environment: the
#                                   optional parts' packages hidden from CMake (find_package of
#                                   Boost and Protobuf disabled, no pkg-config, OpenBLAS's folder
#                                   ignored) and the core libraries taken from the pack only
#                                   (checked in CMakeCache.txt); GPU cases skip, no benchmarks
#   tools/gpu_check.sh --rehearse --brief BUILD_DIR
#                                   the rehearsal's configure, then the GPU selection of an
#                                   existing build (ctest tools.gpu_check_rehearsal in CI)
#
# Nothing can lose the answer: every step has a time box (timeout -k), the CPU suite is CI's and
# not rerun here, the log is written straight to a file as it happens ($OUT/gpu_check.log on the
# lent machines, else the build folder), the build's output to its own file, and the summary table
# is printed from an EXIT trap whatever failed or timed out. Exit 0 only if every step passed.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

mode=gpu
brief_build=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rehearse) mode=rehearse ;;
    --brief) brief_build=${2:?--brief needs the build folder to take the GPU selection from}; shift ;;
    -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "gpu_check: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$brief_build" ] && [ "$mode" != rehearse ] && { echo "gpu_check: --brief goes with --rehearse" >&2; exit 2; }

start=$(date +%s)
# The lent machines' call is 8 minutes; a rehearsal on 2 CPU cores builds for far longer.
budget=${GPU_CHECK_BUDGET_S:-450}
[ "$mode" = rehearse ] && budget=${GPU_CHECK_BUDGET_S:-3600}
build=$repo/build-gpu
[ "$mode" = rehearse ] && build=$repo/build-rehearse
[ -n "$brief_build" ] && build=$(mktemp -d "${TMPDIR:-/tmp}/aafgan-rehearse.XXXXXX")
# The log in $OUT (at most 8 files come back from the lent machines): the steps' own outputs go to
# a folder beside the build, packed into $OUT/gpu_check_files.tar.gz at exit.
log_home=${OUT:-$build}
[ -n "$brief_build" ] && log_home=${OUT:-$brief_build/gpu-check-rehearsal}
log_dir=$build/gpu-check-files
mkdir -p "$log_home"
log=$log_home/gpu_check.log
: >"$log"
# The console stays on 3 and 4; everything else goes to the log file, unbuffered by any pipe.
exec 3>&1 4>&2 >>"$log" 2>&1

elapsed() { echo $(($(date +%s) - start)); }
left() { echo $((budget - $(elapsed))); }
say() { printf '%s\n' "$*"; printf '%s\n' "$*" >&3; }
step() { say ""; say "=== $1 ($(elapsed) s)"; }
results=()  # "name|outcome|seconds|detail"
machine_ok=0
interrupted=0
status=0
record() {  # name outcome seconds detail
  results+=("$1|$2|$3|$4")
  case "$2" in passed | skipped) ;; *) status=1 ;; esac
  say "--- $1: $2 ($3 s)${4:+: $4}"
}
# Runs a command in a time box, its output to OUTFILE ("-": the log); sets `outcome` to how it
# ended: passed, FAILED (rc N) or TIMED OUT.
outcome=""
boxed() {  # seconds outfile command...
  local t=$1 out=$2
  shift 2
  if [ "$out" = - ]; then
    timeout -k 10 "$t" "$@"
  else
    timeout -k 10 "$t" "$@" >"$out" 2>&1
  fi
  local rc=$?
  if ((rc == 0)); then outcome=passed; elif ((rc == 124 || rc == 137)); then outcome="TIMED OUT"; else outcome="FAILED (rc $rc)"; fi
}

summary() {
  echo
  echo "=== summary: tools/gpu_check.sh ($mode${brief_build:+, brief}), $(elapsed) s of $budget"
  printf '%-34s | %-12s | %5s | %s\n' "step" "outcome" "s" "detail"
  printf '%s\n' "-----------------------------------+--------------+-------+--------------------------------------"
  local r name outcome secs detail
  for r in "${results[@]}"; do
    IFS='|' read -r name outcome secs detail <<<"$r"
    printf '%-34s | %-12s | %5s | %s\n' "$name" "$outcome" "$secs" "$detail"
  done
  [ -f "$log_dir/bench_summary.txt" ] && { echo; cat "$log_dir/bench_summary.txt"; }
  echo
  if ((status == 0)); then echo "gpu_check: every step passed"; else echo "gpu_check: some step did not pass (log: $log)"; fi
}
on_exit() {
  local rc=$?
  ((rc != 0 && status == 0)) && status=$rc
  summary | tee -a "$log" >&3
  ((machine_ok)) && [ -n "${OUT:-}" ] && tar -czf "$OUT/gpu_check_files.tar.gz" -C "$log_dir" . 2>/dev/null
  # The committed logs: only a full run that got past the machine check replaces one.
  if ((machine_ok && !interrupted)) && [ -z "$brief_build" ]; then
    mkdir -p docs
    if [ "$mode" = gpu ]; then cp "$log" docs/gpu-check-latest.log; else cp "$log" docs/gpu-check-rehearsal.log; fi
  fi
  [ -n "$brief_build" ] && rm -rf "$build"
  exit "$status"
}
trap on_exit EXIT
trap 'say "gpu_check: stopped by a signal"; interrupted=1; status=1; exit 1' INT TERM

# --- the machine -------------------------------------------------------------------------------
step "machine"
if [ "$mode" = gpu ]; then
  if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L 2>/dev/null | grep -q GPU; then
    record machine FAILED 0 "no GPU visible (nvidia-smi lists none); --rehearse checks this script without one"
    status=2
    exit 2
  fi
  nvidia-smi -L
  nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv,noheader
else
  say "rehearsal on $(hostname): no GPU is used; the optional parts' packages are hidden from CMake"
fi
command -v nvcc >/dev/null && nvcc --version | tail -n 2
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(cmake --version | head -n 1)"
python3 -c 'import torch; print("PyTorch", torch.__version__, "CUDA", torch.version.cuda)' 2>/dev/null || echo "(no PyTorch)"
mkdir -p "$build" "$log_dir"
machine_ok=1
record machine passed "$(elapsed)" "$( [ "$mode" = gpu ] && nvidia-smi --query-gpu=name,compute_cap --format=csv,noheader | head -n 1 | tr -d '\n' || echo "$(nproc) CPU cores, no GPU")"

# --- the pack of core libraries ----------------------------------------------------------------
cmake_args=(-DAAFGAN_CUDA=ON -DAAFGAN_REQUIRE_CUDNN=ON -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON)
command -v ninja >/dev/null && cmake_args+=(-G Ninja)
if [ "$mode" = rehearse ] && [ ! -d .gpudeps/root ]; then
  step "pack the core libraries (tools/gpu_deps.sh)"
  t0=$(date +%s)
  boxed 300 - bash tools/gpu_deps.sh
  record "pack (tools/gpu_deps.sh)" "$outcome" $(($(date +%s) - t0)) "$(du -sh .gpudeps 2>/dev/null | cut -f1)"
  [ "$outcome" = passed ] || exit 1
fi
deps=""
if [ -d .gpudeps/root ]; then
  deps=$repo/.gpudeps/root/usr
  cmake_args+=("-DCMAKE_PREFIX_PATH=$deps;$deps/lib/x86_64-linux-gnu/cmake;$deps/share")
  export CPATH="$deps/include${CPATH:+:$CPATH}"
  export LD_LIBRARY_PATH="$deps/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  say "core libraries from the pack: $(du -sh .gpudeps | cut -f1) in .gpudeps/root"
fi
if [ "$mode" = rehearse ]; then
  # What the GPU machine lacks, hidden: the optional parts' libraries (and pkg-config), OpenBLAS.
  cmake_args+=(-DCMAKE_DISABLE_FIND_PACKAGE_Boost=ON -DCMAKE_DISABLE_FIND_PACKAGE_Protobuf=ON
               -DPKG_CONFIG_EXECUTABLE=/nonexistent/pkg-config
               "-DCMAKE_IGNORE_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp;/usr/lib/aarch64-linux-gnu/openblas-openmp"
               "-DCMAKE_CUDA_ARCHITECTURES=${CUDA_ARCHS:-90-real}")
elif [ -n "${CUDA_ARCHS:-}" ]; then
  cmake_args+=("-DCMAKE_CUDA_ARCHITECTURES=$CUDA_ARCHS")
fi
# cuDNN's pip wheel keeps its libraries in site-packages: libcudnn.so.9 loads its sub-libraries
# (libcudnn_cnn.so.9, …) from the library path.
cudnn_lib=$(python3 -c 'import nvidia.cudnn as m; print(list(m.__path__)[0] + "/lib")' 2>/dev/null || true)
[ -n "$cudnn_lib" ] && [ -d "$cudnn_lib" ] && export LD_LIBRARY_PATH="$cudnn_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# --- configure ---------------------------------------------------------------------------------
step "configure"
t0=$(date +%s)
boxed 120 "$log_dir/configure.log" cmake -S "$repo" -B "$build" "${cmake_args[@]}"
grep -E "^-- aafgan: |CMake Error|Error" "$log_dir/configure.log"
parts=$(sed -n 's/^-- aafgan: \(report\|TensorBoard files\|plots\)[^:]*: \(ON\|OFF\).*/\1 \2/p' "$log_dir/configure.log" | paste -sd, - | sed 's/,/, /g')
record configure "$outcome" $(($(date +%s) - t0)) "$parts"
[ "$outcome" = passed ] || { tail -n 30 "$log_dir/configure.log"; exit 1; }
if [ "$mode" = rehearse ]; then
  # Every core library must have come from the pack, and no optional part may have been found.
  cache=$build/CMakeCache.txt
  outside=$(grep -E '^(Eigen3_DIR|fmt_DIR|nlohmann_json_DIR|CLI11_DIR|doctest_DIR|ZLIB_INCLUDE_DIR|ZLIB_LIBRARY_RELEASE|PNG_PNG_INCLUDE_DIR|PNG_LIBRARY_RELEASE|JPEG_INCLUDE_DIR|JPEG_LIBRARY_RELEASE)(:[A-Z]+)?=' "$cache" |
    grep -v "=$repo/.gpudeps/" || true)
  found=$(grep -cE '^-- aafgan: (report|TensorBoard files|plots)[^:]*: ON' "$log_dir/configure.log")
  if [ -n "$outside" ] || ((found > 0)); then
    record "environment as on the GPU machine" FAILED 0 "outside the pack: ${outside//$'\n'/ }; optional parts found: $found"
  else
    record "environment as on the GPU machine" passed 0 "core libraries from .gpudeps only; Boost, Protobuf, Cairo, OpenBLAS hidden"
  fi
fi

# --- build -------------------------------------------------------------------------------------
test_build=$build
if [ -n "$brief_build" ]; then
  test_build=$brief_build
  record build skipped 0 "brief: the GPU selection of $brief_build"
else
  step "build ($(nproc) jobs; output in $log_dir/build.log)"
  t0=$(date +%s)
  box=$(($(left) - 150))
  [ "$mode" = gpu ] && ((box > 360)) && box=360
  boxed "$box" "$log_dir/build.log" cmake --build "$build" -j "$(nproc)"
  grep -E "error:|warning:|\*\*\* \[|FAILED:" "$log_dir/build.log" | head -n 40
  record build "$outcome" $(($(date +%s) - t0)) "$(grep -c 'warning:' "$log_dir/build.log") warning(s)"
  [ "$outcome" = passed ] || { tail -n 30 "$log_dir/build.log"; exit 1; }
fi

# --- the GPU cases of the suite ----------------------------------------------------------------
# Every case that needs a GPU is named "cuda…" (tests/check_skip_macros.py enforces it); the CPU
# suite is CI's. On the GPU machine a missing GPU is a failure (AAFGAN_REQUIRE_GPU=1).
step "GPU cases of the suite (ctest -R '^cuda')"
t0=$(date +%s)
box=$(($(left) - 120))
((box > 180)) && box=180
((box < 30)) && box=30
require=0
[ "$mode" = gpu ] && require=1
export AAFGAN_REQUIRE_GPU=$require
boxed "$box" "$log_dir/ctest.log" ctest --test-dir "$test_build" -R '^cuda' -j 8 \
  --timeout 120 --output-on-failure
grep -E "tests passed|tests failed|\(Failed\)|\(Timeout\)|\(SEGFAULT\)|Not Run|No tests were found" "$log_dir/ctest.log"
total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log_dir/ctest.log" | tail -n 1)
failed=$(sed -n 's/.*, \([0-9]*\) tests failed out of.*/\1/p' "$log_dir/ctest.log" | tail -n 1)
skipped=$(grep -c '\*\*\*Skipped' "$log_dir/ctest.log")
if [ -z "$total" ] || [ "$total" = 0 ]; then
  outcome="FAILED"
  detail="no GPU case was found in $test_build"
else
  detail="$total cases: $((total - ${failed:-0} - skipped)) passed, $skipped skipped, ${failed:-0} failed"
fi
if [ "$outcome" != passed ]; then
  grep -E "ERROR:|CHECK|REQUIRE|values:|logged:|what\(\)" "$log_dir/ctest.log" | head -n 80
fi
record "GPU cases (ctest -R ^cuda)" "$outcome" $(($(date +%s) - t0)) "$detail"

# A step with a time box of its own: skipped when less than half of it is left, else boxed to
# what is left; its output goes to OUTFILE, whose last lines are copied into the log. Returns 1
# when skipped; `step_seconds` is how long it ran.
step_seconds=0
timed() {  # name seconds outfile tail-lines command...
  local name=$1 t=$2 out=$3 lines=$4
  shift 4
  if (($(left) < t / 2)); then
    record "$name" skipped 0 "out of time ($(elapsed) s used of $budget)"
    return 1
  fi
  ((t > $(left))) && t=$(left)
  step "$name (${t} s box)"
  local t0
  t0=$(date +%s)
  boxed "$t" "$out" "$@"
  tail -n "$lines" "$out"
  step_seconds=$(($(date +%s) - t0))
}

# --- both apps, briefly ------------------------------------------------------------------------
apps_out=$build/app-runs
smoke() {  # name seconds app args...
  local name=$1 t=$2 out="$log_dir/app_${1%%,*}.log"
  shift 2
  timed "$name" "$t" "$out" 4 "$@" --out "$apps_out" --no-resume --overwrite || return 0
  # Exit 0 is not enough: a grid that the skip rules empty trains nothing and succeeds.
  [ "$outcome" = passed ] && ! grep -q "] completed (" "$out" && outcome="FAILED (no run completed)"
  record "$name" "$outcome" "$step_seconds" "$(grep -m1 -E '^device:' "$out")"
}
if [ -z "$brief_build" ]; then
  # --device auto: the GPU on the GPU machine, the CPU in the rehearsal.
  smoke "mnist_condgan, 1 epoch" 90 "$build/mnist_condgan" --gen-hidden MiDA --dis-hidden MiDA --epochs 1 \
    --max-images 3000 --classifier none
  smoke "celeba_dcgan, fake images" 90 "$build/celeba_dcgan" --dataset fake --epochs 1 --max-images 512 --batch-size 64
fi

# --- the benchmarks, then compute-sanitizer with what time is left: only with a GPU ----------
if [ "$mode" = gpu ]; then
  # PyTorch eager on the same GPU beside ours (benchmarking.md: like-for-like precision).
  torch_args=()
  if python3 -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
    torch_args=(--torch --python "$(command -v python3)")
  fi
  bench() {  # name seconds command...
    local name=$1 t=$2 out="$log_dir/bench_$1.txt"
    shift 2
    timed "benchmark $name" "$t" "$out" 14 "$@" || return 0
    record "benchmark $name" "$outcome" "$step_seconds" "$out"
    tail -n 14 "$out" | sed "s/^/[$name] /" >>"$log_dir/bench_summary.txt"
  }
  bench gan_mnist 60 "$build/aafgan_bench_gan" --device cuda "${torch_args[@]}" --iters 60 --warmup 10 --block 20
  bench gan_dcgan 60 "$build/aafgan_bench_gan" --arch dcgan --device cuda "${torch_args[@]}" --iters 20 --warmup 5 --block 10
  bench gan_dcgan_tf32 50 "$build/aafgan_bench_gan" --arch dcgan --device cuda --tf32 "${torch_args[@]}" --iters 20 \
    --warmup 5 --block 10
  bench activations 40 "$build/aafgan_bench_activations" --device cuda --sizes large
  bench fid 30 "$build/aafgan_bench_fid" --device cuda --images 2000 --batch-size 100

  # Out-of-memory cases provoke an API error on purpose (the sanitizer counts it); the whole-GAN
  # cases are slow under the sanitizer and ran above.
  sanitizer_skip='*impossible*,*out of memory*,*OutOfMemory*,*2^31*,*GAN iteration*,*cuda training*'
  for tool in memcheck racecheck; do
    # What is left, shared by the two (memcheck gets half), keeping 15 s for the summary.
    t=$(($(left) - 15))
    [ "$tool" = memcheck ] && t=$((t / 2))
    ((t > 90)) && t=90
    if ((t < 20)); then record "compute-sanitizer $tool" skipped 0 "out of time"; continue; fi
    step "compute-sanitizer $tool (${t} s box)"
    t0=$(date +%s)
    AAFGAN_REQUIRE_GPU=1 timeout -k 10 "$t" compute-sanitizer --tool "$tool" --error-exitcode 3 "$build/tests/aafgan_tests" \
      -tc='cuda ops*,cuda activations*,cuda image ops*,cuda runtime*' -tce="$sanitizer_skip" >"$log_dir/$tool.log" 2>&1
    rc=$?
    grep -E "=========|Status|test cases" "$log_dir/$tool.log" | head -n 30
    case $rc in
      0) record "compute-sanitizer $tool" passed $(($(date +%s) - t0)) "" ;;
      124 | 137) record "compute-sanitizer $tool" skipped $(($(date +%s) - t0)) "its time box ended first: no finding up to there" ;;
      *) record "compute-sanitizer $tool" "FAILED (rc $rc)" $(($(date +%s) - t0)) "see $tool.log" ;;
    esac
  done
else
  record "compute-sanitizer, benchmarks" skipped 0 "rehearsal: no GPU"
fi
exit "$status"
