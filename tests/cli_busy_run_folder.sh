#!/usr/bin/env bash
# While another process holds a run's lock, the grid reports that run as in use, leaves its
# folder alone (no error.txt) and exits 3 (not every run complete).
#   cli_busy_run_folder.sh APP ARGS...
set -uo pipefail
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run="$out/experiment_mnist_condgan-mlp_lr001_decay95e31/output/0"
mkdir -p "$run"
msg=$(flock -n "$run/.lock" "$@" --out "$out" 2>&1)
rc=$?
if [ "$rc" -ne 3 ]; then echo "exit $rc, expected 3; output: $msg" >&2; exit 1; fi
if [ -e "$run/error.txt" ]; then echo "the busy run was marked failed: $(cat "$run/error.txt")" >&2; exit 1; fi
if ! grep -q "in use" <<<"$msg"; then echo "no 'in use' in the output: $msg" >&2; exit 1; fi
echo "busy run reported, left alone, exit 3"
