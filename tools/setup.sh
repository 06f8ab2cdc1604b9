#!/usr/bin/env bash
# Installs what aafgan needs to build and test on a fresh Debian/Ubuntu machine.
# The CUDA backend is built in addition when a CUDA toolkit (nvcc) is already installed.
set -euo pipefail

# libboost-dev: Boost.Math's Student t distribution (header-only) for ./aafgan_report's tests of
# significance; chromium: the report test renders report.html headless (skipped without it).
packages=(cmake make g++ pkg-config libeigen3-dev libfmt-dev doctest-dev nlohmann-json3-dev zlib1g-dev
          libjpeg62-turbo-dev libpng-dev libcli11-dev libopenblas0-openmp libboost-dev chromium)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "setup: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
