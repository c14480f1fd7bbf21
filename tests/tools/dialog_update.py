#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Bring golden transcripts (tests/dialogs/*.dialog) up to date with the menus.

    python3 tests/tools/dialog_update.py [--kpass build/kpass] FILE.dialog...

Runs `kpass menu test` on each file (with its "# msisdn" caller, menus/ and
etc/seed/) and replaces every expected screen that differs with the screen
the menus produced; the inputs, comments and dials stay as written.  Run it
again until nothing changes (a changed screen can change the next), then
READ THE DIFF: this tool makes transcripts agree with the menus, it cannot
tell whether the menus are right, and an input that now lands on another
screen (look for "Invalid choice") needs its inputs edited by hand.
"""
import re
import subprocess
import sys


def update(kpass, path):
    msisdn = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"# msisdn (\+\d+)", line)
            if m:
                msisdn = m.group(1)
    cmd = [kpass, "-c", "/nonexistent/kpassd.conf", "menu", "test", "--menus", "menus",
           "--seed", "etc/seed"]
    if msisdn:
        cmd += ["--msisdn", msisdn]
    run = subprocess.run(cmd + [path], capture_output=True, text=True)
    lines = (run.stdout + run.stderr).split("\n")
    diffs, i = [], 0
    while i < len(lines):
        m = re.match(re.escape(path) + r":(\d+): the screen differs", lines[i])
        if not m:
            i += 1
            continue
        got_head = re.match(r"\s*expected (.*), got (.*)", lines[i + 1]).group(2)
        j = i + 2
        while not lines[j].strip().startswith("got:"):
            j += 1
        j += 1
        got = []
        while j < len(lines) and lines[j].startswith("  |"):
            got.append(lines[j][2:])
            j += 1
        diffs.append((int(m.group(1)), got_head, got))
        i = j
    if not diffs:
        return 0, run.returncode
    with open(path, encoding="utf-8") as f:
        src = f.read().split("\n")
    for line, head, got in sorted(diffs, reverse=True):
        k = line - 1
        while not src[k].startswith("<"):
            k -= 1
        e = k + 1
        while e < len(src) and src[e].startswith("|"):
            e += 1
        src[k:e] = ["< " + head] + got
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(src))
    return len(diffs), run.returncode


def main(argv):
    kpass = "build/kpass"
    if len(argv) > 2 and argv[1] == "--kpass":
        kpass, argv = argv[2], argv[2:]
    status = 0
    for path in argv[1:]:
        for _ in range(8):
            n, rc = update(kpass, path)
            if n == 0:
                break
            print(f"{path}: {n} screens updated")
        if rc != 0:
            print(f"{path}: still failing (kpass menu test exit {rc})", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
