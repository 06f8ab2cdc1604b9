#!/usr/bin/env python3
"""The folders' layering (issue 23): each top folder may include only the folders below it, so a
dependency never points upward. Prints each include that breaks the rule and exits 1.

Usage: check_layering.py ROOT [FILE...]   (files default to every source under ROOT's folders)
"""
import os
import re
import sys

# Who may include whom, bottom up: base is the ground floor; data, report and tensorboard stand
# beside engine on it; experiment and grid on the engine; models (built from an experiment's
# choices) on experiment; training on those; metrics on training; the apps and benches on
# everything.
ALLOWED = {
    "base": set(),
    "kernels": {"base"},
    "engine": {"base", "kernels"},
    "data": {"base", "kernels"},
    "report": {"base"},
    "tensorboard": {"base"},
    "models": {"base", "kernels", "engine", "data", "experiment"},
    "experiment": {"base", "kernels", "engine"},
    "grid": {"base", "kernels", "engine"},
    "training": {"base", "kernels", "engine", "data", "tensorboard", "models", "experiment", "grid"},
    "metrics": {"base", "kernels", "engine", "data", "tensorboard", "models", "experiment", "grid", "training"},
    "apps": {"base", "kernels", "engine", "data", "tensorboard", "report", "models", "experiment", "grid",
             "training", "metrics"},
    "bench": {"base", "kernels", "engine", "data", "tensorboard", "models", "experiment", "grid", "training",
              "metrics"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')
SOURCES = (".h", ".cpp", ".cu", ".cuh")


def main():
    root = sys.argv[1]
    files = sys.argv[2:]
    if not files:
        for top in ALLOWED:
            for dirpath, _, names in os.walk(os.path.join(root, top)):
                files += [os.path.join(dirpath, n) for n in names if n.endswith(SOURCES)]
    broken = 0
    for path in sorted(files):
        top = os.path.relpath(path, root).split(os.sep)[0]
        if top not in ALLOWED:
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if m and m.group(1) != top and m.group(1) in ALLOWED and m.group(1) not in ALLOWED[top]:
                    print(f"{os.path.relpath(path, root)}:{number}: {top}/ includes {m.group(1)}/, which is not below it")
                    broken += 1
    if broken:
        print(f"check_layering: {broken} include(s) point upward (allowed: tests/check_layering.py ALLOWED)")
        return 1
    print(f"check_layering: {len(files)} files, every include points down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
