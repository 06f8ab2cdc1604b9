#!/usr/bin/env python3
"""Every TEST_CASE that uses a GPU skip macro must begin with it.

A check placed before the macro runs on every machine, and when it fails on a machine without a
GPU the case still prints "skipped: " and ctest (SKIP_REGULAR_EXPRESSION) reports it as Skipped,
hiding the failure. So in such a case the leading statements are the skip macros, and no skip
macro follows any other statement. And a case with a GPU skip macro is named "cuda…": the GPU
machine's check (tools/gpu_check.sh) selects the GPU cases by that name (ctest -R '^cuda'). Usage: check_skip_macros.py FILE... ; exit 1 naming each
offending case (file:line and name)."""
import re
import sys

MACRO = re.compile(r"^AAFGAN_REQUIRE_[A-Z_]*OR_SKIP\s*\(")
CASE = re.compile(r'TEST_CASE\s*\(\s*"((?:[^"\\]|\\.)*)"[^)]*\)\s*\{')


def strip_comments(text):
    # Keeps line breaks (for line numbers) and string literals (a "//" inside one stays).
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text[i] in "\"'":
            q, j = text[i], i + 1
            while j < n and text[j] != q:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def body_of(text, start):
    """The text between the brace at start - 1 and its match."""
    depth, i = 1, start
    while i < len(text) and depth:
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
        elif text[i] in "\"'":
            q, i = text[i], i + 1
            while i < len(text) and text[i] != q:
                i += 2 if text[i] == "\\" else 1
        i += 1
    return text[start : i - 1]


def statements(body):
    """Top-level statements of a body, roughly: split at ';' and at blocks' braces, depth 0."""
    out, cur, depth, paren = [], [], 0, 0
    for ch in body:
        cur.append(ch)
        if ch == "(":
            paren += 1
        elif ch == ")":
            paren -= 1
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0 and paren == 0:
                out.append("".join(cur).strip())
                cur = []
        elif ch == ";" and depth == 0 and paren == 0:
            out.append("".join(cur).strip())
            cur = []
    rest = "".join(cur).strip()
    if rest:
        out.append(rest)
    return [s for s in out if s and s != ";"]


def check(path):
    text = strip_comments(open(path, encoding="utf-8").read())
    bad = []
    for m in CASE.finditer(text):
        stmts = statements(body_of(text, m.end()))
        uses = [i for i, s in enumerate(stmts) if MACRO.match(s) or "OR_SKIP(" in s]
        if not uses:
            continue
        leading = 0
        while leading < len(stmts) and MACRO.match(stmts[leading]):
            leading += 1
        line = text.count("\n", 0, m.start()) + 1
        if any(i >= leading for i in uses):
            bad.append(f'{path}:{line}: TEST_CASE "{m.group(1)}": a skip macro must come before any other '
                       f"statement (a failing check before it is reported as Skipped)")
        if any("REQUIRE_GPU" in stmts[i] for i in uses) and not m.group(1).startswith("cuda"):
            bad.append(f'{path}:{line}: TEST_CASE "{m.group(1)}": a case that needs a GPU must be named "cuda…" '
                       f"(tools/gpu_check.sh runs ctest -R '^cuda' on the GPU machine)")
    return bad


def main(paths):
    if not paths:
        print("usage: check_skip_macros.py FILE...", file=sys.stderr)
        return 2
    bad = [b for p in paths for b in check(p)]
    for b in bad:
        print(b)
    if bad:
        print(f"{len(bad)} test case(s) break the skip-macro rules")
        return 1
    print(f"skip macros first in every case that uses one ({len(paths)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
