#!/usr/bin/env bash
# Usage: cmake_modules.sh REAL_NVCC CMAKE...
# Configures tests/cmake/cuda_archs and tests/cmake/find_cudnn with each CMAKE (the oldest
# supported, 3.18, and 3.22, Ubuntu 22.04's, from PyPI's wheels; and the system's), with stand-ins
# for what a GPU machine has: an nvidia-smi that prints given compute capabilities, an nvcc of
# CUDA 12.4 or 13.0 that lists its architectures, and made-up cuDNN installations (the pip
# wheel's layout with only a versioned libcudnn.so.9, a CUDNN root, the toolkit's folders).
# REAL_NVCC ("" for none) is also asked once with a stand-in 9.0 GPU.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
real_nvcc=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# --- stand-ins ---------------------------------------------------------------------------------
mkdir -p "$tmp/bin"
# nvcc of a given release and architecture list, answering only what the module asks.
stand_in_nvcc() {  # file release archs...
  local file=$1 release=$2
  shift 2
  {
    echo '#!/bin/sh'
    echo 'case "$1" in'
    echo "  --version) echo 'Cuda compilation tools, release $release, V$release.0' ;;"
    printf '  --list-gpu-arch) printf "%%s\\n"' && printf ' compute_%s' "$@" && echo ' ;;'
    echo '  *) exit 1 ;;'
    echo 'esac'
  } > "$file"
  chmod +x "$file"
}
stand_in_nvcc "$tmp/nvcc12" 12.4 50 52 53 60 61 62 70 72 75 80 86 87 89 90
stand_in_nvcc "$tmp/nvcc13" 13.0 75 80 86 87 88 89 90 100 110 103 120 121
# nvidia-smi printing $SMI_CAPS (one per line, as --query-gpu=compute_cap does), or failing.
cat > "$tmp/bin/nvidia-smi" <<'EOF'
#!/bin/sh
[ -n "$SMI_FAIL" ] && { echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver" >&2; exit 9; }
printf '%b\n' "$SMI_CAPS"
EOF
chmod +x "$tmp/bin/nvidia-smi"

configure() {  # cmake project-folder out-file extra-args...
  local cmake=$1 project=$2 out=$3
  shift 3
  rm -rf "$tmp/build"
  "$cmake" -S "$here/cmake/$project" -B "$tmp/build" "$@" >"$out" 2>&1
}

# expect_archs CMAKE "what" EXPECTED|ERROR:regex nvcc caps|none [VAR=value...]
expect_archs() {
  local cmake=$1 what=$2 expected=$3 nvcc=$4 caps=$5
  shift 5
  local smi="$tmp/bin/nvidia-smi"
  [ "$caps" = none ] && smi=/nonexistent/nvidia-smi
  local out="$tmp/out.txt"
  (
    export SMI_CAPS="$caps" SMI_FAIL=""
    for kv in "$@"; do export "${kv?}"; done
    configure "$cmake" cuda_archs "$out" -DAAFGAN_NVCC="$nvcc" -DAAFGAN_NVIDIA_SMI="$smi"
  )
  local rc=$?
  if [[ $expected == ERROR:* ]]; then
    if [ $rc -ne 0 ] && grep -Eq -- "${expected#ERROR:}" "$out"; then
      echo "ok: $what: configure fails with /${expected#ERROR:}/"
    else
      fail "$what: expected a configure error /${expected#ERROR:}/, got rc $rc:"; cat "$out"
    fi
    return
  fi
  local chosen
  chosen=$(sed -n 's/^-- chosen: //p' "$out")
  if [ $rc -eq 0 ] && [ "$chosen" = "$expected" ]; then
    echo "ok: $what: $chosen"
  else
    fail "$what: expected '$expected', got '$chosen' (rc $rc):"; cat "$out"
  fi
}

# --- cuDNN layouts -----------------------------------------------------------------------------
cudnn_headers() {  # include-dir major minor patch
  mkdir -p "$1"
  echo '/* cudnn.h stand-in */' > "$1/cudnn.h"
  printf '#define CUDNN_MAJOR %s\n#define CUDNN_MINOR %s\n#define CUDNN_PATCHLEVEL %s\n' "$2" "$3" "$4" > "$1/cudnn_version.h"
}
# The wheel: site-packages/nvidia/cudnn/{include,lib}, the library only as libcudnn.so.9.
wheel=$tmp/site/nvidia/cudnn
cudnn_headers "$wheel/include" 9 1 0
mkdir -p "$wheel/lib" && touch "$wheel/lib/libcudnn.so.9" "$wheel/lib/libcudnn_cnn.so.9"
: > "$wheel/__init__.py"
cudnn_headers "$tmp/root/include" 8 9 7
mkdir -p "$tmp/root/lib64" && touch "$tmp/root/lib64/libcudnn.so"
cudnn_headers "$tmp/cuda/include" 9 0 0
mkdir -p "$tmp/cuda/lib64" && touch "$tmp/cuda/lib64/libcudnn.so.9"
# A header of 9.x beside only an 8.x library: not a match.
cudnn_headers "$tmp/mixed/include" 9 2 0
mkdir -p "$tmp/mixed/lib" && touch "$tmp/mixed/lib/libcudnn.so.8"
mkdir -p "$tmp/nocuda/include" "$tmp/nocuda/lib64"

expect_cudnn() {  # cmake "what" regex cmake-args...
  local cmake=$1 what=$2 regex=$3
  shift 3
  local out="$tmp/out.txt"
  if PYTHONPATH="$tmp/site" configure "$cmake" find_cudnn "$out" "$@" && grep -Eq -- "$regex" "$out"; then
    echo "ok: $what: $(sed -n 's/^-- \(found\|not found\): /\1: /p' "$out")"
  else
    fail "$what: expected /$regex/:"; cat "$out"
  fi
}

ran=0
for cmake in "$@"; do
  [ -x "$cmake" ] || { echo "(no $cmake)"; continue; }
  ran=$((ran + 1))
  echo "== $("$cmake" --version | head -n 1) ($cmake)"
  expect_archs "$cmake" "V100, CUDA 12.4" 70-real "$tmp/nvcc12" "7.0"
  expect_archs "$cmake" "H100 and A100 (a repeat), CUDA 12.4" "90-real;80-real" "$tmp/nvcc12" "9.0\n8.0\n9.0"
  expect_archs "$cmake" "V100, CUDA 13.0" "ERROR:CUDA 13.0 cannot compile for" \
    "$tmp/nvcc13" "7.0"
  expect_archs "$cmake" "a GPU newer than CUDA 12.4 knows" "90-virtual" "$tmp/nvcc12" "12.0"
  expect_archs "$cmake" "no nvidia-smi, CUDA 12.4" "70-real;80-real;90" "$tmp/nvcc12" none
  expect_archs "$cmake" "no nvidia-smi, CUDA 13.0" "75-real;80-real;90-real;100" "$tmp/nvcc13" none
  expect_archs "$cmake" "nvidia-smi without a driver, CUDA 12.4" "70-real;80-real;90" "$tmp/nvcc12" "7.0" SMI_FAIL=1
  if [ -n "$real_nvcc" ]; then
    expect_archs "$cmake" "H100, this machine's nvcc" "90-real" "$real_nvcc" "9.0"
  fi
  expect_cudnn "$cmake" "cuDNN from the pip wheel (libcudnn.so.9 only)" \
    "found: 9\\.1\\.0 $wheel/lib/libcudnn\\.so\\.9 .*from the pip wheel" -DCUDA_DIR="$tmp/nocuda" -DPYTHON=python3
  expect_cudnn "$cmake" "cuDNN in the toolkit before the wheel" "found: 9\\.0\\.0 $tmp/cuda/lib64/libcudnn\\.so\\.9 .*from the CUDA toolkit" \
    -DCUDA_DIR="$tmp/cuda" -DPYTHON=python3
  expect_cudnn "$cmake" "AAFGAN_CUDNN_ROOT before everything" "found: 8\\.9\\.7 $tmp/root/lib64/libcudnn\\.so .*AAFGAN_CUDNN_ROOT" \
    -DCUDA_DIR="$tmp/cuda" -DPYTHON=python3 -DAAFGAN_CUDNN_ROOT="$tmp/root"
  expect_cudnn "$cmake" "a 9.x header beside an 8.x library is no match" "found: 9\\.1\\.0 .*from the pip wheel" \
    -DCUDA_DIR="$tmp/nocuda" -DPYTHON=python3 -DAAFGAN_CUDNN_ROOT="$tmp/mixed"
  # Nothing in the root, the toolkit or a wheel: the system's folders are last.
  if [ ! -e /usr/include/cudnn.h ] && [ ! -e "/usr/include/$(uname -m)-linux-gnu/cudnn.h" ] && [ ! -e /usr/local/include/cudnn.h ]; then
    expect_cudnn "$cmake" "no cuDNN anywhere" "not found: $tmp/nocuda/include" -DCUDA_DIR="$tmp/nocuda" -DPYTHON=false
  else
    expect_cudnn "$cmake" "the system's cuDNN last" "found: .* from the system" -DCUDA_DIR="$tmp/nocuda" -DPYTHON=false
  fi
done
# The whole project: AAFGAN_REQUIRE_CUDNN=ON without cuDNN is a configure error that says why.
if [ -n "$real_nvcc" ] && [ $ran -gt 0 ]; then
  out="$tmp/out.txt"
  rm -rf "$tmp/build"
  if "$cmake" -S "$here/.." -B "$tmp/build" -DAAFGAN_CUDA=ON -DAAFGAN_CUDNN=OFF -DAAFGAN_REQUIRE_CUDNN=ON \
      -DCMAKE_CUDA_COMPILER="$real_nvcc" -DCMAKE_CUDA_ARCHITECTURES=90-real -DBUILD_TESTING=OFF >"$out" 2>&1; then
    fail "AAFGAN_REQUIRE_CUDNN=ON without cuDNN configured:"; tail -n 20 "$out"
  elif grep -q "AAFGAN_REQUIRE_CUDNN=ON but AAFGAN_CUDNN=OFF" "$out"; then
    echo "ok: AAFGAN_REQUIRE_CUDNN=ON without cuDNN: a configure error naming why"
  else
    fail "AAFGAN_REQUIRE_CUDNN=ON without cuDNN: configure failed for another reason:"; tail -n 20 "$out"
  fi
fi
if [ $ran -eq 0 ]; then
  echo "skipped: none of the CMake executables exists ($*)"
  exit 0
fi
[ $failures -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "all passed with $ran CMake version(s)"
