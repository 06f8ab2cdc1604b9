#!/usr/bin/env bash
# Packs the build's Debian dependencies into .gpudeps/ (git-ignored) so the project builds on a
# GPU machine that has CUDA and CMake but no package registry. tools/gpu_check.sh points CMake
# at it when the machine itself lacks the packages.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .gpudeps && mkdir -p .gpudeps/debs
(cd .gpudeps/debs && apt-get download -qq libeigen3-dev libfmt-dev libfmt9 doctest-dev nlohmann-json3-dev zlib1g-dev zlib1g \
  libjpeg62-turbo-dev libjpeg62-turbo libpng-dev libpng16-16 libcli11-dev >/dev/null)
for deb in .gpudeps/debs/*.deb; do dpkg-deb -x "$deb" .gpudeps/root; done
# The pack travels with the tree to the GPU machine (64 MiB in all): no static libraries, and no
# OpenBLAS (43 MiB), since the CPU GEMM falls back to Eigen there and the GPU check times the GPU.
rm -rf .gpudeps/debs .gpudeps/root/usr/share/doc .gpudeps/root/usr/share/man
find .gpudeps/root -name '*.a' -delete
# Debian's dev symlinks are absolute (/lib/...): point them inside the pack instead.
lib=.gpudeps/root/usr/lib/x86_64-linux-gnu
for link in "$lib"/*.so; do
  target=$(readlink "$link") || continue
  case "$target" in /*) ln -sf "../../..$target" "$link" ;; esac
done
du -sh .gpudeps
