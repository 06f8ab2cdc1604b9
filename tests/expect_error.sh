#!/usr/bin/env bash
# Usage: expect_error.sh REGEX COMMAND [ARGS...]
# Passes when COMMAND exits non-zero and its output (stdout + stderr) matches REGEX: a bad
# flag or input must give one readable message and a failing exit status.
regex=$1
shift
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -eq 0 ]; then echo "expect_error: exit status 0, expected a failure"; exit 1; fi
if ! printf '%s\n' "$out" | grep -Eq -- "$regex"; then echo "expect_error: output does not match /$regex/"; exit 1; fi
