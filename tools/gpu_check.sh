#!/usr/bin/env bash
# One command for a GPU machine: build with CUDA, run the whole suite with GPU tests required,
# run compute-sanitizer on the GPU tests, print the benchmark tables. Stops at once without a GPU.
# The log goes to $OUT/gpu_check.log when OUT is set (the lent machines), else build-gpu/.
# Keep it under 8 minutes on one H100.
set -uo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
log_dir=${OUT:-build-gpu}
mkdir -p "$log_dir"
log="$log_dir/gpu_check.log"
exec > >(tee "$log") 2>&1

if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L 2>/dev/null | grep -q GPU; then
  echo "gpu_check: no GPU visible (nvidia-smi lists none); nothing to check" >&2
  exit 2
fi
nvidia-smi -L
nvcc --version | tail -n 2

cmake_args=(-DAAFGAN_CUDA=ON -DCMAKE_BUILD_TYPE=Release)
cmake_args+=("-DCMAKE_CUDA_ARCHITECTURES=${CUDA_ARCHS:-native}")
if [ -d .gpudeps/root ]; then
  # Dependencies packed by tools/gpu_deps.sh for a machine without them.
  deps=$PWD/.gpudeps/root/usr
  cmake_args+=("-DCMAKE_PREFIX_PATH=$deps;$deps/lib/x86_64-linux-gnu/cmake;$deps/share")
  export CPATH="$deps/include:$deps/include/eigen3${CPATH:+:$CPATH}"
  export LD_LIBRARY_PATH="$deps/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

status=0
step() { echo; echo "=== $1 ($(( $(date +%s) - start )) s)"; }

step "configure and build"
cmake -S . -B build-gpu "${cmake_args[@]}" >build-gpu.cmake.log 2>&1 || { cat build-gpu.cmake.log; exit 1; }
grep "aafgan: CUDA backend" build-gpu.cmake.log
cmake --build build-gpu -j "$(nproc)" 2>&1 | grep -E "error|warning|Error" ; [ "${PIPESTATUS[0]}" -eq 0 ] || exit 1

step "full test suite, GPU tests required"
AAFGAN_REQUIRE_GPU=1 ctest --test-dir build-gpu -j 8 --output-on-failure 2>&1 | tail -n 25
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

# The case that provokes an out-of-memory on purpose is left out: the sanitizer counts that API
# error as a finding.
step "compute-sanitizer memcheck on the GPU tests"
AAFGAN_REQUIRE_GPU=1 timeout 150 compute-sanitizer --tool memcheck --error-exitcode 3 build-gpu/tests/aafgan_tests -tc='cuda*' -tce='*impossible allocation*' 2>&1 | grep -E "=========|Status" | head -n 40
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
step "compute-sanitizer racecheck on the GPU tests"
AAFGAN_REQUIRE_GPU=1 timeout 150 compute-sanitizer --tool racecheck --error-exitcode 3 build-gpu/tests/aafgan_tests -tc='cuda*' -tce='*impossible allocation*' 2>&1 | grep -E "=========|Status" | head -n 20
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

# CPU rows are measured on the CPU machines; here only the GPU's. (aafgan_bench_gan joins once
# the engine's ops run on CUDA tensors.)
step "benchmark aafgan_bench_activations"
timeout 120 build-gpu/aafgan_bench_activations --device cuda 2>&1 || status=1

step "done: status $status"
exit $status
