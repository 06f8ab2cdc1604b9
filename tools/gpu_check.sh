#!/usr/bin/env bash
# The GPU machine's one call (issue 12 §9): build with CUDA, run the whole suite with GPU tests
# required, compute-sanitizer memcheck and racecheck on the kernel tests, then one table of the
# performance targets (GAN iteration ours vs PyTorch eager on the same GPU, activation fwd+bwd as
# a share of copy bandwidth, FID ms per image). Made to fit 8 minutes on one H100/H200 with
# nothing installed but the CUDA toolkit, CMake and PyTorch: the Debian libraries come from
# .gpudeps/ (tools/gpu_deps.sh, carried with the tree). Each step has a time box, and the later
# ones shrink or go when time runs short, so the log always ends with the table.
#
# The log goes to $OUT/gpu_check.log when OUT is set (the lent machines), else build-gpu/, and is
# copied to docs/gpu-check-latest.log for committing. Exit 0 only if every step passed.
set -uo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
budget=${GPU_CHECK_BUDGET_S:-470}
log_dir=${OUT:-build-gpu}
mkdir -p "$log_dir"
log="$log_dir/gpu_check.log"
exec > >(tee "$log") 2>&1

if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L 2>/dev/null | grep -q GPU; then
  echo "gpu_check: no GPU visible (nvidia-smi lists none); nothing to check" >&2
  exit 2
fi
nvidia-smi -L
nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv,noheader
nvcc --version | tail -n 2
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"

status=0
elapsed() { echo $(( $(date +%s) - start )); }
left() { echo $(( budget - $(elapsed) )); }
step() { echo; echo "=== $1 ($(elapsed) s)"; }
fail_step() { echo "FAILED: $1"; status=1; }

cmake_args=(-DAAFGAN_CUDA=ON -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CUDA_ARCHITECTURES=${CUDA_ARCHS:-native}")
if [ -d .gpudeps/root ]; then
  deps=$PWD/.gpudeps/root/usr
  cmake_args+=("-DCMAKE_PREFIX_PATH=$deps;$deps/lib/x86_64-linux-gnu/cmake;$deps/share")
  export CPATH="$deps/include:$deps/include/eigen3${CPATH:+:$CPATH}"
  export LD_LIBRARY_PATH="$deps/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

step "configure and build"
cmake -S . -B build-gpu "${cmake_args[@]}" >build-gpu.cmake.log 2>&1 || { cat build-gpu.cmake.log; exit 1; }
grep -E "aafgan: (CUDA|cuDNN)" build-gpu.cmake.log
cmake --build build-gpu -j "$(nproc)" 2>&1 | grep -E "error|warning:" | head -n 40
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "build failed"; exit 1; }

step "full test suite, GPU tests required"
AAFGAN_REQUIRE_GPU=1 timeout 170 ctest --test-dir build-gpu -j 12 --timeout 100 --output-on-failure \
  >"$log_dir/ctest.log" 2>&1
ctest_rc=$?
grep -E "tests passed|tests failed|\(Failed\)|\(Timeout\)|\(SEGFAULT\)|\(Skipped\)|Not Run" "$log_dir/ctest.log"
if [ $ctest_rc -ne 0 ]; then
  fail_step "ctest (rc $ctest_rc)"
  # The failing cases' own output (doctest's messages), not just their names.
  grep -E "ERROR:|CHECK|REQUIRE|values:|logged:|WARN|what\(\)" "$log_dir/ctest.log" | head -n 120
fi

# Out-of-memory cases provoke an API error on purpose (the sanitizer counts it as a finding); the
# whole-GAN cases are slow under the sanitizer and are covered by the suite above.
sanitizer_skip='*impossible*,*out of memory*,*OutOfMemory*,*2^31*,*GAN iteration*,*cuda training*'
kernel_cases='cuda ops*,cuda activations*,cuda image ops*,cuda runtime*'
t=$(( $(left) - 200 )); (( t > 100 )) && t=100
if (( t >= 30 )); then
  step "compute-sanitizer memcheck on the kernel tests (${t} s box)"
  AAFGAN_REQUIRE_GPU=1 timeout "$t" compute-sanitizer --tool memcheck --error-exitcode 3 build-gpu/tests/aafgan_tests \
    -tc="$kernel_cases" -tce="$sanitizer_skip" 2>&1 | grep -E "=========|Status|test cases" | head -n 40
  rc=${PIPESTATUS[0]}; (( rc == 124 )) && echo "(memcheck stopped by its time box: no finding up to there)"
  (( rc != 0 && rc != 124 )) && fail_step "memcheck (rc $rc)"
fi
t=$(( $(left) - 170 )); (( t > 60 )) && t=60
if (( t >= 20 )); then
  step "compute-sanitizer racecheck on the handwritten kernels (${t} s box)"
  AAFGAN_REQUIRE_GPU=1 timeout "$t" compute-sanitizer --tool racecheck --error-exitcode 3 build-gpu/tests/aafgan_tests \
    -tc='cuda ops*,cuda activations*,cuda image ops*' -tce="$sanitizer_skip" 2>&1 | grep -E "=========|Status" | head -n 20
  rc=${PIPESTATUS[0]}; (( rc == 124 )) && echo "(racecheck stopped by its time box: no hazard up to there)"
  (( rc != 0 && rc != 124 )) && fail_step "racecheck (rc $rc)"
fi

# PyTorch eager on the same GPU beside ours (benchmarking.md: like-for-like precision; our side
# replays CUDA graphs, PyTorch is eager as users run it).
torch_args=()
py=$(command -v python3 || true)
if [ -n "$py" ] && "$py" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  torch_args=(--torch --python "$py")
  echo "PyTorch $("$py" -c 'import torch; print(torch.__version__, "cuDNN", torch.backends.cudnn.version())')"
else
  echo "(PyTorch with CUDA not found: only our columns)"
fi
bench_dir="$log_dir/bench"
mkdir -p "$bench_dir"
bench() {  # name, time box, command...
  local name=$1 box=$2; shift 2
  (( $(left) < box / 2 )) && { echo "(skipped $name: $(elapsed) s used of $budget)"; return; }
  (( box > $(left) )) && box=$(left)
  step "benchmark $name (${box} s box)"
  timeout "$box" "$@" >"$bench_dir/$name.txt" 2>&1
  local rc=$?
  tail -n 12 "$bench_dir/$name.txt"
  (( rc != 0 )) && fail_step "benchmark $name (rc $rc)"
}
bench gan_mnist 60 build-gpu/aafgan_bench_gan --device cuda "${torch_args[@]}" --iters 60 --warmup 10 --block 20
bench gan_dcgan_fp32 50 build-gpu/aafgan_bench_gan --arch dcgan --device cuda "${torch_args[@]}" --iters 20 --warmup 5 --block 10
bench gan_dcgan_tf32 50 build-gpu/aafgan_bench_gan --arch dcgan --device cuda --tf32 "${torch_args[@]}" --iters 20 --warmup 5 --block 10
bench activations 40 build-gpu/aafgan_bench_activations --device cuda --sizes large
bench fid 30 build-gpu/aafgan_bench_fid --device cuda --images 2000 --batch-size 100

step "summary: the targets of issue 12"
{
  printf '%-46s | %-22s | %-14s | %s\n' "measure" "ours" "reference" "target"
  printf '%s\n' "-----------------------------------------------+------------------------+----------------+-----------------"
  for f in gan_mnist gan_dcgan_fp32 gan_dcgan_tf32; do
    [ -f "$bench_dir/$f.txt" ] || continue
    target="≤ 0.3× PyTorch"; [[ $f == gan_dcgan* ]] && target="≤ 0.8× PyTorch"
    # Table rows: "spec | ours median / mean | torch median / mean | ratio".
    awk -F'|' -v tag="${f#gan_}" -v target="$target" 'NF >= 2 && $1 ~ /\// && $2 ~ /[0-9]/ {
        for (i = 1; i <= NF; ++i) gsub(/^ +| +$/, "", $i);
        printf "%-46s | %-22s | %-14s | %s (ratio %s)\n", "GAN iteration ms " tag " " $1, $2,
               (NF >= 4 ? $3 : "-"), target, (NF >= 4 ? $4 : "-") }' "$bench_dir/$f.txt"
  done
  [ -f "$bench_dir/activations.txt" ] && awk '$3 == "cuda" && $2 ~ /128,128/ {
      both = ""; for (i = NF; i > 0; --i) if ($i ~ /%$/) { both = $i; break }
      printf "%-46s | %-22s | %-14s | %s\n", "activation fwd+bwd " $1 " [128,128,32,32] f32", both " of copy BW", "D2D copy", "≥ 80 %" }' \
    "$bench_dir/activations.txt"
  [ -f "$bench_dir/fid.txt" ] && sed -n 's/.*: \([0-9.]*\) ms per image (\([0-9.]*\) s per 10k).*/\1 \2/p' "$bench_dir/fid.txt" |
    awk '{ printf "%-46s | %-22s | %-14s | %s\n", "FID features ms per image (64×64 in, 299 net)", $1 " ms (" $2 " s/10k)", "", "≤ 3 ms" }'
} | tee "$log_dir/summary.txt"

step "done: status $status"
mkdir -p docs && cp "$log" docs/gpu-check-latest.log 2>/dev/null || true
exit $status
