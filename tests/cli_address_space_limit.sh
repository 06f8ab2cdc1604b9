#!/usr/bin/env bash
# Issue 22 row 5: under `ulimit -v 1200000` the MNIST GAN hung after its "data:" line, OpenBLAS
# retrying its 128 MiB buffer forever, deaf to SIGTERM; lower limits hung the same way inside
# OpenBLAS's constructor, before main(). Now every limit must end within its timeout:
#  1. `APP --help` under limits from 1600 down to 256 MiB (covering where a CUDA build and a
#     CPU-only one map their libraries): it prints its help, is refused naming the limit (exit 1),
#     or the loader cannot map a library (exit 127). A hang fails. At least one limit must be
#     refused by name: the start-up check runs in every build with OpenBLAS.
#  2. training under the issue's limit, and under the lowest limit where --help still ran (where
#     OpenBLAS got fewer threads, or the GEMM's own check refuses): it completes, or is refused
#     by name. A hang fails.
#   cli_address_space_limit.sh APP TRAINING_ARGS...
set -uo pipefail
app=$1
shift
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# run_limited KIB SECONDS ARGS...: sets $rc and $msg.
run_limited() {
  local kib=$1 seconds=$2
  shift 2
  msg=$(timeout -k 5 "$seconds" bash -c 'ulimit -v "$1" && shift && exec "$@"' _ "$kib" "$@" 2>&1)
  rc=$?
}

refused=0 lowest_ok=
for ((mib = 1600; mib >= 256; mib -= 48)); do
  kib=$((mib * 1024))
  run_limited "$kib" 20 "$app" --help
  case $rc in
    0) lowest_ok=$kib ;;
    1)
      if ! grep -q "address-space limit of $mib MiB (ulimit -v $kib)" <<<"$msg"; then
        echo "--help under ulimit -v $kib: exit 1 without the limit's error: $msg" >&2
        exit 1
      fi
      refused=$((refused + 1))
      ;;
    127)
      if ! grep -q "error while loading shared libraries" <<<"$msg"; then
        echo "--help under ulimit -v $kib: exit 127: $msg" >&2
        exit 1
      fi
      ;;
    124 | 137) echo "--help hung under ulimit -v $kib (killed after 20 s): $msg" >&2; exit 1 ;;
    *) echo "--help under ulimit -v $kib: exit $rc: $msg" >&2; exit 1 ;;
  esac
done
if ((refused == 0)); then
  echo "no limit from 1600 to 256 MiB was refused by name: the start-up check did not run" >&2
  exit 1
fi
echo "--help: $refused limit(s) refused by name before any library's constructor; lowest that ran: ulimit -v ${lowest_ok:-none}"

for kib in 1200000 $lowest_ok; do
  run_limited "$kib" 90 "$app" "$@" --out "$out/run_$kib"
  case $rc in
    0)
      grep -q "] completed (" <<<"$msg" || { echo "exit 0 without a completed run: $msg" >&2; exit 1; }
      echo "ulimit -v $kib: completed$(grep -o 'leaves room for [0-9]* of [0-9]* GEMM threads' <<<"$msg" | head -1 | sed 's/^/, /')"
      ;;
    1)
      if ! grep -q "address-space limit of [0-9]* MiB (ulimit -v $kib) is too small" <<<"$msg"; then
        echo "training under ulimit -v $kib: exit 1 without the limit's error: $msg" >&2
        exit 1
      fi
      echo "ulimit -v $kib: refused by name: $(grep -o 'one thread needs [0-9]* MiB' <<<"$msg")"
      ;;
    124 | 137) echo "training hung under ulimit -v $kib (killed after 90 s): $msg" >&2; exit 1 ;;
    *) echo "training under ulimit -v $kib: exit $rc: $msg" >&2; exit 1 ;;
  esac
done
