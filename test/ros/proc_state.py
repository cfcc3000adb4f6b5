"""Whether a process still runs, read from /proc without a race against its exit."""

from __future__ import annotations

from pathlib import Path


def running(pid: int) -> bool:
    """Alive and not a zombie (a zombie has exited and only waits to be reaped: its files and locks are
    closed). /proc/<pid> can vanish between any two reads, so a missing file means gone: checking that it
    exists first and reading it second is a race a loaded machine loses."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    # The command name (field 2) may hold spaces or ')': the state is the first field after the last ')'.
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
