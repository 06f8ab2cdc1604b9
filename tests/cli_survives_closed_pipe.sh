#!/usr/bin/env bash
# A run whose stdout is a pipe that closes early (`./mnist_condgan … | head -c 10`) must finish
# its work: SIGPIPE is ignored and failed log writes are dropped. Checks the exit status of the
# app itself (not of head) and that the run completed its outputs.
#   cli_survives_closed_pipe.sh APP ARGS...
set -uo pipefail
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$@" --out "$out" | head -c 10 >/dev/null
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
  echo "exit status $rc with stdout closed early (141 = killed by SIGPIPE)" >&2
  exit 1
fi
if ! find "$out" -name config.json | grep -q .; then
  echo "the run did not complete (no config.json under $out)" >&2
  exit 1
fi
echo "exit 0 with stdout closed after 10 bytes; the run completed"
