#!/usr/bin/env bash
# A run started with standard output, error or input closed (`app >&-`) must not hand those
# numbers to its own files: the run lock used to become descriptor 1, and the progress lines
# were written into <run>/.lock over its host/pid record. For each way of closing them: the
# run completes and .lock holds its one record line and nothing else.
#   cli_closed_std_descriptors.sh APP ARGS...
set -uo pipefail
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
fail=0
for closed in stdout stderr stdin all; do
  out="$root/$closed"
  mkdir -p "$out"
  case $closed in
    stdout) "$@" --out "$out" >&- ;;
    stderr) "$@" --out "$out" 2>&- ;;
    stdin) "$@" --out "$out" <&- ;;
    all) "$@" --out "$out" <&- >&- 2>&- ;;
  esac
  rc=$?
  if [ "$rc" -ne 0 ]; then echo "$closed closed: exit $rc" >&2; fail=1; continue; fi
  lock=$(find "$out" -name .lock | head -n 1)
  if [ -z "$lock" ]; then echo "$closed closed: no run folder with a .lock under $out" >&2; fail=1; continue; fi
  if ! find "$out" -name config.json | grep -q .; then
    echo "$closed closed: the run did not complete (no config.json)" >&2; fail=1; continue
  fi
  lines=$(wc -l <"$lock")
  if [ "$lines" -ne 1 ] || ! grep -Eq '^host .+ pid [0-9]+ \(since .+\)$' "$lock"; then
    echo "$closed closed: $lock is not one host/pid record ($lines lines):" >&2
    head -c 400 "$lock" >&2
    fail=1
    continue
  fi
  echo "$closed closed: exit 0, run complete, .lock: $(cat "$lock")"
done
exit $fail
