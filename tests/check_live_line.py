#!/usr/bin/env python3
"""The progress line on a terminal (issue 15 §4): runs a short training run on a pseudo-terminal
of a given width, replays everything it printed through pyte (a VT100 emulator) and checks the
screen a user would see:

  check_live_line.py COLUMNS APP ARGS...

- every live update clears the line first and fits in COLUMNS - 1 columns (no wrap, so "\\r"
  really rewrites it);
- no row shows a fragment of a live line after the run (each was cleared before the epoch
  summary was printed over it);
- at 120 columns or more, each epoch summary is a row of its own with nothing after it.
Exits 1 with one line per problem.
"""
import os
import re
import select
import struct
import subprocess
import sys

import fcntl
import termios

try:
    import pyte
except ImportError:
    print(f"skipped: {sys.executable} cannot import pyte (tools/setup.sh --test installs it in .venv)")
    sys.exit(0)

ROWS = 200


def run_on_pty(cmd, columns):
    master, slave = os.openpty()
    # The size is set before the program starts, so its first query already sees it.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, columns, 0, 0))
    env = dict(os.environ, TERM="xterm")
    env.pop("COLUMNS", None)
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True,
                            start_new_session=True)
    os.close(slave)
    out = bytearray()
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            proc.kill()
            raise SystemExit("no output for 120 s")
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the program exited and closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.wait(), bytes(out)


def main():
    columns = int(sys.argv[1])
    cmd = sys.argv[2:]
    rc, raw = run_on_pty(cmd, columns)
    text = raw.decode("utf-8", "replace")
    problems = []
    if rc != 0:
        problems.append(f"the run exited {rc}:\n{text}")
    # The live updates: what follows each "\r\033[K" up to the next control character.
    updates = re.findall(r"\r\x1b\[K([^\r\n\x1b]*)", text.replace("\r\n", "\n"))
    live = [u for u in updates if re.search(r"batch \d+/\d+", u)]
    if not live:
        problems.append("no live progress line was shown (is stdout not taken for a terminal?)")
    for u in live:
        if len(u) > columns - 1:
            problems.append(f"a live line of {len(u)} characters on a {columns}-column terminal: {u!r}")
    screen = pyte.Screen(columns, ROWS)
    stream = pyte.ByteStream(screen)
    stream.feed(raw.replace(b"\n", b"\r\n"))  # the pty's onlcr, which a raw read does not apply
    rows = [r.rstrip() for r in screen.display]
    for r in rows:
        if re.search(r"batch \d+/\d+|it/s|ETA", r):
            problems.append(f"a live line's remains on the screen: {r!r}")
    summaries = [r for r in rows if re.search(r"\] epoch \d+/\d+  d_loss", r)]
    if not summaries:
        problems.append("no epoch summary on the screen:\n" + "\n".join(r for r in rows if r))
    if columns >= 120:
        summary = re.compile(r"^\[[^\]]+\] epoch \d+/\d+  d_loss -?\d+\.\d{4}  g_loss -?\d+\.\d{4}  d_acc \d\.\d{3}  "
                             r"\d+\.\ds(  [a-z_]+ -?\d+\.\d{4})*$")
        for r in summaries:
            if not summary.match(r):
                problems.append(f"an epoch summary with something around it: {r!r}")
    for p in problems:
        print(p)
    print(f"{columns} columns: {len(live)} live updates, {len(summaries)} epoch summaries: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
