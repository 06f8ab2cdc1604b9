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
AAFGAN_REQUIRE_GPU=1 ctest --test-dir build-gpu -j 8 --timeout 120 --output-on-failure >"$log_dir/ctest.log" 2>&1
ctest_rc=$?
grep -E "tests passed|tests failed|\(Failed\)|\(Timeout\)|\(SEGFAULT\)|Not Run" "$log_dir/ctest.log"
if [ $ctest_rc -ne 0 ]; then
  status=1
  # The failing cases' own output (doctest's messages), not just their names.
  grep -E "ERROR:|CHECK|REQUIRE|values:|logged:|WARN" "$log_dir/ctest.log" | head -n 120
fi

# The cases that provoke an out-of-memory on purpose are left out (the sanitizer counts that API
# error as a finding), and so is the whole-GAN-iteration case, whose CPU half is slow under it.
sanitizer_skip='*impossible allocation*,*out of memory*,*GAN iteration*'
step "compute-sanitizer memcheck on the GPU tests"
AAFGAN_REQUIRE_GPU=1 timeout 100 compute-sanitizer --tool memcheck --error-exitcode 3 build-gpu/tests/aafgan_tests \
  -tc='cuda*' -tce="$sanitizer_skip" 2>&1 | grep -E "=========|Status" | head -n 40
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
step "compute-sanitizer racecheck on the GPU tests"
# racecheck looks at shared memory: the handwritten kernels' cases are what it can judge.
AAFGAN_REQUIRE_GPU=1 timeout 70 compute-sanitizer --tool racecheck --error-exitcode 3 build-gpu/tests/aafgan_tests \
  -tc='cuda ops*,cuda activations*,cuda image ops*' -tce="$sanitizer_skip" 2>&1 | grep -E "=========|Status" | head -n 20
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

# CPU rows are measured on the CPU machines; here only the GPU's.
step "benchmark aafgan_bench_activations"
timeout 90 build-gpu/aafgan_bench_activations --device cuda 2>&1 || status=1

# One training iteration of each app beside PyTorch on the same GPU (TF32 off on both sides,
# cudnn.benchmark on in PyTorch as our side searches algorithms), when PyTorch sees the GPU.
torch_args=()
py=$(command -v python3 || true)
if [ -n "$py" ] && "$py" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  torch_args=(--torch --python "$py")
else
  echo "(PyTorch with CUDA not found: only our column)"
fi
# The whole check must fit a short GPU loan (8 minutes on one H100): the GAN benchmarks run
# only while time is left.
if (( $(date +%s) - start > 390 )); then
  echo "(skipping the GAN benchmarks: $(( $(date +%s) - start )) s used of the 8-minute budget)"
  step "done: status $status"
  mkdir -p docs && cp "$log" docs/gpu-check-latest.log 2>/dev/null || true
  exit $status
fi
step "benchmark aafgan_bench_gan, MNIST GAN on the GPU"
timeout 60 build-gpu/aafgan_bench_gan --device cuda "${torch_args[@]}" --iters 60 --warmup 10 --block 20 2>&1 | tail -n 8 || status=1
step "benchmark aafgan_bench_gan, DCGAN on the GPU"
timeout 80 build-gpu/aafgan_bench_gan --arch dcgan --device cuda "${torch_args[@]}" --iters 10 --warmup 2 --block 5 2>&1 | tail -n 6 || status=1

step "done: status $status"
# The repository keeps the last results (docs/gpu-check-latest.log, committed by whoever ran it).
mkdir -p docs && cp "$log" docs/gpu-check-latest.log 2>/dev/null || true
exit $status
