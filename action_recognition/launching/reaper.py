"""Stops a launcher's nodes and removes its temp folder when the launcher dies without doing it.

Run by the launcher as `python -S reaper.py TEMP_FOLDER` (stdlib only, no site: it starts in
milliseconds and never imports ROS). The launcher writes one line per started node ("pid PID") to
our stdin and "done" when it has stopped them itself. End of input without "done" means the
launcher was killed (SIGKILL, OOM killer, a crash): a pipe closes whatever way its writer dies, on
every POSIX system. Then every node's process group gets SIGTERM, SIGKILL after a grace period, and
the temp folder is removed. On Linux the nodes also get SIGTERM from the kernel at once
(PR_SET_PDEATHSIG, set by the launcher); this process is the portable path and the escalation.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import time

GRACE_S = 2.0


def _alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _signal(pids: list[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)  # each node leads its own session/group


def main(argv: list[str]) -> int:
    folder = argv[1] if len(argv) > 1 else ""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is the launcher's business
    pids: list[int] = []
    for line in sys.stdin:
        word, _, arg = line.strip().partition(" ")
        if word == "done":
            return 0
        if word == "pid" and arg.isdigit():
            pids.append(int(arg))
    _signal(pids, signal.SIGTERM)
    end = time.monotonic() + GRACE_S
    while any(_alive(p) for p in pids) and time.monotonic() < end:
        time.sleep(0.05)
    _signal([p for p in pids if _alive(p)], signal.SIGKILL)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
