#!/usr/bin/env bash
# The apps' startup lines about the CPU GEMM, on a real run (kernels/cpu/blas_info.h):
#   cli_blas_core.sh prescott APP ARGS...  OPENBLAS_CORETYPE=Prescott: OpenBLAS reports Prescott and
#                                          one warning line names it, the slowdown and the variable
#   cli_blas_core.sh default APP ARGS...   without the variable: one "cpu: GEMM on …" line, no warning
# Prescott is skipped where there is nothing to warn about: a build without OpenBLAS, or a CPU
# without AVX2/FMA.
set -uo pipefail
mode=$1
shift
fail() { echo "cli_blas_core: $*" >&2; exit 1; }
if [ "$mode" = prescott ] && ! grep -qw avx2 /proc/cpuinfo 2>/dev/null; then
  echo "skipped: this CPU has no AVX2 (/proc/cpuinfo), so Prescott kernels are no downgrade to warn about"
  exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if [ "$mode" = prescott ]; then
  log=$(OPENBLAS_CORETYPE=Prescott "$@" --out "$out" 2>&1)
else
  log=$(env -u OPENBLAS_CORETYPE "$@" --out "$out" 2>&1)
fi
rc=$?
printf '%s\n' "$log"
[ "$rc" -eq 0 ] || fail "exit status $rc"
cpu_lines=$(grep -c '^cpu: GEMM on ' <<<"$log")
[ "$cpu_lines" -eq 1 ] || fail "expected one 'cpu: GEMM on …' line, got $cpu_lines"
warnings=$(grep -c '^warning: OpenBLAS' <<<"$log")
case "$mode" in
  prescott)
    if grep -q '^cpu: GEMM on Eigen' <<<"$log"; then
      echo "skipped: built without OpenBLAS (GEMM on Eigen): OPENBLAS_CORETYPE does not apply"
      exit 0
    fi
    grep -q '^cpu: GEMM on OpenBLAS .*, core Prescott, ' <<<"$log" || fail "OpenBLAS does not report core Prescott"
    [ "$warnings" -eq 1 ] || fail "expected one OpenBLAS warning line, got $warnings"
    grep -Eq '^warning: OpenBLAS runs its Prescott kernels \(SSE3\), but this CPU supports AVX(2/FMA|-512) .*slower.*OPENBLAS_CORETYPE=Prescott in the environment selects them' <<<"$log" ||
      fail "the warning does not name Prescott, the CPU's level, the slowdown and OPENBLAS_CORETYPE"
    echo "OPENBLAS_CORETYPE=Prescott: core Prescott reported and warned about once"
    ;;
  default)
    [ "$warnings" -eq 0 ] || fail "an OpenBLAS warning without OPENBLAS_CORETYPE (OpenBLAS picked older kernels than this CPU has?)"
    echo "without OPENBLAS_CORETYPE: $(grep '^cpu: GEMM on ' <<<"$log"), no warning"
    ;;
  *) fail "unknown mode $mode (prescott or default)" ;;
esac
