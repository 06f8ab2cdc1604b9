#!/usr/bin/env bash
# Installs what aafgan needs to build and test on a fresh Debian/Ubuntu machine.
# The CUDA backend is built in addition when a CUDA toolkit (nvcc) is already installed.
set -euo pipefail

# libboost-dev: Boost.Math's Student t distribution (header-only) for ./aafgan_report's tests of
# significance; chromium: the report test renders report.html headless (skipped without it);
# strace: the fault-injection test kills inside system calls; python3: the tests' small checkers;
# libcairo2-dev draws the training plots, fonts-dejavu-core is their font (the plot tests look for its glyphs);
# libprotobuf-dev + protobuf-compiler: the TensorBoard event files (tensorboard/event.proto);
# python3-venv: the tests' virtual environment below.
packages=(cmake make g++ pkg-config libeigen3-dev libfmt-dev doctest-dev nlohmann-json3-dev zlib1g-dev
          libjpeg62-turbo-dev libpng-dev libcli11-dev libopenblas0-openmp python3 strace libboost-dev chromium
          libcairo2-dev fonts-dejavu-core libprotobuf-dev protobuf-compiler python3-venv)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
updated=0
apt_install() {
  [ "$updated" = 1 ] || { $sudo apt-get update -qq; updated=1; }
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present"
else
  echo "setup: installing ${missing[*]}"
  apt_install "${missing[@]}"
  echo "setup: done"
fi

# Optional: clang and its libFuzzer runtime, for ctest fuzz.brief and tools/fuzz.sh (which skip
# without them). Debian ships the runtime apart from clang (libclang-rt-N-dev, N = clang's
# major version); where no such package exists it comes with clang. A failure here leaves the
# build as it was. AAFGAN_SETUP_FUZZ=0 skips this step.
if [ "${AAFGAN_SETUP_FUZZ:-1}" != 0 ]; then
  if ! command -v clang++ > /dev/null 2>&1; then
    echo "setup: installing clang (optional, for fuzzing)"
    apt_install clang || echo "setup: clang could not be installed; fuzz.brief will be skipped"
  fi
  if command -v clang++ > /dev/null 2>&1; then
    major=$(clang++ -dumpversion | cut -d. -f1)
    rt="libclang-rt-$major-dev"
    if ! installed "$rt" && apt-cache show "$rt" > /dev/null 2>&1; then
      echo "setup: installing $rt (optional, the libFuzzer runtime)"
      apt_install "$rt" || echo "setup: $rt could not be installed; fuzz.brief will be skipped"
    fi
  fi
fi

# The tests' Python packages from PyPI, pinned, in a virtual environment at .venv (found there by
# CMake): TensorBoard's own event-file loader reads the apps' event files, and pyte (a terminal
# emulator) reads the screen the live progress line leaves. AAFGAN_SETUP_VENV=0 skips this step;
# those tests then say "skipped:".
if [ "${AAFGAN_SETUP_VENV:-1}" != 0 ]; then
  venv="$(cd "$(dirname "$0")/.." && pwd)/.venv"
  if "$venv/bin/python3" -c "import tensorboard, pyte" > /dev/null 2>&1; then
    echo "setup: $venv has tensorboard and pyte"
  else
    echo "setup: installing tensorboard and pyte into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "tensorboard==2.21.0" "pyte==0.8.2"
  fi
fi
