#!/usr/bin/env bash
# The MNIST GAN benchmark of issue 4 in one command: ms per training iteration beside PyTorch,
# measured in the same run. Builds nothing: run `make aafgan_bench_gan` in the build folder first.
#
#   tools/bench_gan.sh [aafgan_bench_gan options...]      e.g. --threads 1, --models ..., --iters 100
#   BUILD_DIR=build-bench tools/bench_gan.sh               (default build folder: build)
#
# The machines are shared: the tool alternates the two sides in short turns on the same model
# and warns when other processes were busy, since busy neighbours distort 2-thread OpenMP
# timings far more than 1-thread ones.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${BUILD_DIR:-build}/aafgan_bench_gan"
if [[ ! -x "$bin" ]]; then
  echo "bench_gan: $bin is missing; build it first (make -C ${BUILD_DIR:-build} aafgan_bench_gan)" >&2
  exit 2
fi
# benchmarking.md: PyTorch with jemalloc is the faster setup (glibc maps fresh memory for large
# tensors every step), and the comparison is against PyTorch's faster setup.
preload=()
jemalloc=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
if [[ -e "$jemalloc" ]]; then
  preload=(--torch-preload "$jemalloc")
else
  echo "bench_gan: $jemalloc not found (apt-get install libjemalloc2); PyTorch runs with glibc malloc" >&2
fi
exec "$bin" --torch "${preload[@]}" "$@"
