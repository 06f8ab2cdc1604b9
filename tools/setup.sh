#!/usr/bin/env bash
# Installs what aafgan needs on a fresh Debian (11, 12, 13) or Ubuntu (22.04, 24.04) machine.
#   tools/setup.sh          what building and running need (the README's RUN command)
#   tools/setup.sh --test   that, plus what the tests need (the README's TEST command, CI)
# Package names are the ones both distributions carry (libjpeg-dev, not Debian's
# libjpeg62-turbo-dev). The CUDA backend is built in addition when a CUDA toolkit (nvcc) is
# already installed; this script installs none.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
case "${1:-}" in
  "") ;;
  --test) with_tests=1 ;;
  *) echo "usage: tools/setup.sh [--test]" >&2; exit 2 ;;
esac

# The build's core: compiler, CMake, Eigen, fmt, nlohmann-json, CLI11, doctest (the tests are
# configured with every build), zlib, libjpeg, libpng; OpenBLAS's OpenMP build for the CPU GEMM
# (the pthread build would fight our OpenMP threads for the cores).
packages=(cmake make g++ pkg-config libeigen3-dev libfmt-dev nlohmann-json3-dev libcli11-dev doctest-dev
          zlib1g-dev libjpeg-dev libpng-dev libopenblas0-openmp)
# The optional parts (cmake/optional_parts.cmake), which a user wants too: the plots (Cairo and
# their font), the TensorBoard files (Protobuf), ./aafgan_report (Boost.Math, header-only).
packages+=(libcairo2-dev fonts-dejavu-core libprotobuf-dev protobuf-compiler libboost-dev)
# The tests: python3 runs their small checkers and makes their virtual environment; strace lets
# the fault-injection test kill inside system calls.
test_packages=(python3 python3-venv strace)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
updated=0
apt_install() {
  [ "$updated" = 1 ] || { $sudo apt-get update -qq; updated=1; }
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
# Whether the distribution has a real (installable, non-virtual) package of that name.
available() { [ -n "$(apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | grep -v '(none)')" ]; }

wanted=("${packages[@]}")
[ "$with_tests" = 1 ] && wanted+=("${test_packages[@]}")
missing=()
for p in "${wanted[@]}"; do
  installed "$p" || missing+=("$p")
done
# A distribution without one of them (Debian 11 has no CLI11) is named, instead of apt-get's
# "Unable to locate package".
if [ ${#missing[@]} -gt 0 ]; then
  [ "$updated" = 1 ] || { $sudo apt-get update -qq; updated=1; }
  absent=()
  for p in "${missing[@]}"; do available "$p" || absent+=("$p"); done
  if [ ${#absent[@]} -gt 0 ]; then
    distro=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
    echo "setup: ${distro:-this distribution} has no package ${absent[*]}; aafgan needs Debian 12 or later, or" \
         "Ubuntu 22.04 or later (see the README's \"Supported systems\")" >&2
    exit 1
  fi
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present"
else
  echo "setup: installing ${missing[*]}"
  apt_install "${missing[@]}"
  echo "setup: done"
fi
[ "$with_tests" = 1 ] || exit 0

# --- only for the tests --------------------------------------------------------------------------
# Optional extras; each one that cannot be installed only makes its tests say "skipped:".
# Chromium renders report.html headless in the report test. Debian packages it as chromium;
# Ubuntu has only a snap stub (chromium-browser), which fails in containers: not tried there.
if ! command -v chromium >/dev/null 2>&1; then
  if available chromium; then
    echo "setup: installing chromium (for the report's headless render test)"
    apt_install chromium || echo "setup: chromium could not be installed; the render test will be skipped"
  else
    echo "setup: no chromium package here (Ubuntu's is a snap); the report's render test will be skipped"
  fi
fi

# clang and its libFuzzer runtime, for ctest fuzz.brief and tools/fuzz.sh. Debian ships the
# runtime apart from clang (libclang-rt-N-dev, N = clang's major version); where no such package
# exists it comes with clang. AAFGAN_SETUP_FUZZ=0 skips this step.
if [ "${AAFGAN_SETUP_FUZZ:-1}" != 0 ]; then
  if ! command -v clang++ > /dev/null 2>&1; then
    echo "setup: installing clang (for fuzzing)"
    apt_install clang || echo "setup: clang could not be installed; fuzz.brief will be skipped"
  fi
  if command -v clang++ > /dev/null 2>&1; then
    major=$(clang++ -dumpversion | cut -d. -f1)
    rt="libclang-rt-$major-dev"
    if ! installed "$rt" && available "$rt"; then
      echo "setup: installing $rt (the libFuzzer runtime)"
      apt_install "$rt" || echo "setup: $rt could not be installed; fuzz.brief will be skipped"
    fi
  fi
fi

# The tests' Python packages from PyPI, pinned, in a virtual environment at .venv (found there by
# CMake): TensorBoard's own event-file loader reads the apps' event files, and pyte (a terminal
# emulator) reads the screen the live progress line leaves. Beside them the oldest CMake this
# project supports (3.18) and Ubuntu 22.04's (3.22), from PyPI's cmake wheels, for
# tests/cmake_modules.sh. AAFGAN_SETUP_VENV=0 skips this step; those tests then say "skipped:".
if [ "${AAFGAN_SETUP_VENV:-1}" != 0 ]; then
  venv="$PWD/.venv"
  if "$venv/bin/python3" -c "import tensorboard, pyte" > /dev/null 2>&1; then
    echo "setup: $venv has tensorboard and pyte"
  else
    echo "setup: installing tensorboard and pyte into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "tensorboard==2.21.0" "pyte==0.8.2"
  fi
  for pair in 3.18:3.18.4.post1 3.22:3.22.6; do
    v=${pair#*:}
    dir="$venv/cmake/${pair%%:*}"
    [ -x "$dir/cmake/data/bin/cmake" ] && continue
    echo "setup: installing CMake $v from PyPI into $dir"
    "$venv/bin/pip" install -q --disable-pip-version-check --no-deps --target "$dir" "cmake==$v" ||
      echo "setup: CMake $v could not be installed; tests/cmake_modules.sh will use the others"
  done
fi
