#!/usr/bin/env bash
# Packs the build's core libraries into .gpudeps/root (git-ignored) so that the project builds
# on a GPU machine that has a compiler, CUDA, CMake and Python but no -dev packages and no
# package registry; tools/gpu_check.sh points CMake at the pack (and only at it, for these).
# What it holds is exactly the core of cmake/optional_parts.cmake: Eigen, fmt, nlohmann-json,
# CLI11, doctest, zlib, libjpeg, libpng (headers, CMake files, shared libraries). The optional
# parts (Boost 162 MB, Protobuf, Cairo) stay out: configure builds without them and says so.
# OpenBLAS (43 MB) stays out too: the CPU GEMM falls back to Eigen, and the check times the GPU.
# The pack travels with the tree (64 MiB in all): it must stay under 40 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
# This machine's names (Debian 12: libfmt9, libjpeg62-turbo); the pack is made here, not there.
debs=(libeigen3-dev libfmt-dev libfmt9 doctest-dev nlohmann-json3-dev zlib1g-dev zlib1g
      libjpeg62-turbo-dev libjpeg62-turbo libpng-dev libpng16-16 libcli11-dev)
rm -rf .gpudeps && mkdir -p .gpudeps/debs
if ! (cd .gpudeps/debs && apt-get download -qq "${debs[@]}" >/dev/null 2>&1); then
  # A machine whose package lists were never fetched cannot download: fetch them once.
  apt-get update -qq >/dev/null 2>&1 || true
  (cd .gpudeps/debs && apt-get download -qq "${debs[@]}" >/dev/null)
fi
for deb in .gpudeps/debs/*.deb; do dpkg-deb -x "$deb" .gpudeps/root; done
rm -rf .gpudeps/debs .gpudeps/root/usr/share/doc .gpudeps/root/usr/share/man
find .gpudeps/root -name '*.a' -delete
# Debian's dev symlinks are absolute (/lib/...): point them inside the pack instead.
lib=.gpudeps/root/usr/lib/x86_64-linux-gnu
for link in "$lib"/*.so; do
  target=$(readlink "$link") || continue
  case "$target" in /*) ln -sf "../../..$target" "$link" ;; esac
done
size_kib=$(du -sk .gpudeps | cut -f1)
echo "gpu_deps: .gpudeps is $((size_kib / 1024)) MiB (${debs[*]})"
if (( size_kib > 40 * 1024 )); then
  echo "gpu_deps: the pack is over 40 MiB: it would not fit beside the tree on the GPU machine" >&2
  exit 1
fi
