#!/usr/bin/env bash
# Usage: expect_exit.sh CODE REGEX COMMAND [ARGS...]
# As expect_error.sh, but for one exit status: a bad config (1) and a failed run (3) are
# different answers to a scheduler, which retries neither but reports them apart.
code=$1
regex=$2
shift 2
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out" | cut -c1-2000
if [ "$rc" -ne "$code" ]; then echo "expect_exit: exit status $rc, expected $code"; exit 1; fi
if ! printf '%s\n' "$out" | grep -Eq -- "$regex"; then echo "expect_exit: output does not match /$regex/"; exit 1; fi
