"""Fast DDS shared-memory segments left in /dev/shm by processes that died without cleaning up.

Fast DDS's shared-memory transport keeps each participant's data in a segment file
`/dev/shm/fastdds_<16 hex>` (32 MiB with config/fastdds_shm.xml, 512 KiB without) next to a lock
file `<segment>_el`. The owner takes an exclusive flock() on the lock file before it creates the
segment and holds it while the segment lives; on a clean stop Fast DDS removes both files. A process
that dies another way (SIGKILL, a crash, or `os._exit` before its participant was destroyed) leaves
both behind, and tmpfs keeps them in RAM until reboot. The kernel drops a dead process's flocks, so
"lock file not locked by anyone" means "owner dead".

`clean_stale_segments()` removes only such segments, safely while other processes run:
- it holds the lock itself while it unlinks, so a process creating a segment under that name at the
  same moment cannot take it (Fast DDS then picks another name);
- it skips lock files younger than `min_age_s` (a creator opens the lock file and locks it a few
  microseconds apart), files of other users, and segments whose lock file is missing (it cannot
  tell who owns those);
- it leaves the `fastdds_port*` files alone: they are named by port number, so they are reused,
  not multiplied, and Fast DDS checks them for dead owners itself when it opens a port.

Linux only (the segments live in /dev/shm); elsewhere there is nothing to clean. Standard library
only, so any layer can call it: node start (nodes/run.py), `doctor --clean-shm`, the test session.
Why and what it measured: docs/reliability.md, "Shared memory".
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SHM_DIR = Path("/dev/shm")
LOCK_SUFFIX = "_el"
# Fast DDS 2.x named its default domain "fastrtps", 3.x "fastdds".
_SEGMENT_RE = re.compile(r"^(?:fastdds|fastrtps)_[0-9a-f]{16}$")
MIN_AGE_S = 10.0  # a lock file this old that nobody holds is not one being created right now


@dataclass
class CleanReport:
    """What one cleaning pass found: segments removed (with their bytes), in use, and left alone."""

    removed: list[str] = field(default_factory=list)
    removed_bytes: int = 0
    in_use: int = 0
    skipped: int = 0  # too young, another user's, no lock file, or could not be removed

    def line(self) -> str:
        return (
            f"removed {len(self.removed)} stale Fast DDS shared-memory segments "
            f"({self.removed_bytes / 2**20:.1f} MiB); {self.in_use} in use, {self.skipped} left alone"
        )


def segment_names(shm_dir: Path = SHM_DIR) -> set[str]:
    """Names of the Fast DDS segment files in `shm_dir` (without their lock files)."""
    try:
        return {n for n in os.listdir(shm_dir) if _SEGMENT_RE.match(n)}
    except (FileNotFoundError, NotADirectoryError):
        return set()


def is_in_use(name: str, shm_dir: Path = SHM_DIR) -> bool:
    """True when a live process holds the segment's lock (or its lock file is missing: owner unknown)."""
    try:
        fd = os.open(shm_dir / (name + LOCK_SUFFIX), os.O_RDONLY)
    except FileNotFoundError:
        return True
    try:
        return not _try_lock(fd)
    finally:
        os.close(fd)  # closing drops our lock, if we got it


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return False
        raise
    return True


def clean_stale_segments(
    shm_dir: Path = SHM_DIR,
    min_age_s: float = MIN_AGE_S,
    names: set[str] | None = None,
    dry_run: bool = False,
) -> CleanReport:
    """Remove the segments (and lock files) of dead owners; `names` limits the pass to those segments.

    With `dry_run` nothing is removed: `removed` lists what would be.
    """
    report = CleanReport()
    uid = os.getuid()
    now = time.time()
    for name in sorted(segment_names(shm_dir) if names is None else names):
        lock = shm_dir / (name + LOCK_SUFFIX)
        try:
            fd = os.open(lock, os.O_RDONLY)
        except FileNotFoundError:
            report.skipped += 1  # no lock file: cannot tell whether its owner lives
            continue
        except OSError:
            report.skipped += 1
            continue
        try:
            st = os.fstat(fd)
            if st.st_uid != uid or now - st.st_mtime < min_age_s:
                report.skipped += 1
                continue
            if not _try_lock(fd):
                report.in_use += 1
                continue
            # We hold the lock now; the name must still be this very file (not a new one).
            try:
                if os.stat(lock).st_ino != st.st_ino:
                    report.skipped += 1
                    continue
            except FileNotFoundError:
                report.skipped += 1
                continue
            size = _size(shm_dir / name) if dry_run else _unlink(shm_dir / name)
            if size is None:
                report.skipped += 1
                continue
            if not dry_run:
                _unlink(lock)
            report.removed.append(name)
            report.removed_bytes += size
        finally:
            os.close(fd)
    return report


def _unlink(path: Path) -> int | None:
    """Remove `path`; its size in bytes (0 if it was already gone), None when it could not be removed."""
    try:
        size = path.stat().st_size
        path.unlink()
        return size
    except FileNotFoundError:
        return 0
    except OSError:
        return None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def own_segments(pid: int | str = "self", shm_dir: Path = SHM_DIR) -> set[str]:
    """The segments process `pid` owns: Fast DDS keeps a segment's `_el` lock file open (and locked)
    for as long as the segment lives. Read from /proc/<pid>/fd; empty where there is no /proc."""
    names = set()
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return names
    prefix = f"{shm_dir}/"
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(prefix) and target.endswith(LOCK_SUFFIX):
            name = target[len(prefix): -len(LOCK_SUFFIX)]
            if _SEGMENT_RE.match(name):
                names.add(name)
    return names


def remove_own_segments(shm_dir: Path = SHM_DIR) -> list[str]:
    """Unlink this process's segments, for a process about to end without destroying its participant
    (os._exit on a second stop signal): what Fast DDS would have removed. Peers that mapped a segment
    keep their mapping; the memory is freed once the last one closes it. Never raises."""
    removed = []
    try:
        for name in sorted(own_segments("self", shm_dir)):
            if _unlink(shm_dir / name) is not None:
                _unlink(shm_dir / (name + LOCK_SUFFIX))
                removed.append(name)
    except Exception:  # on the way out: leave the rest to the next start's cleaning pass
        pass
    return removed


def clean_quietly(log: Callable[[str], object] | None = None) -> CleanReport | None:
    """The start-up pass of nodes and the launcher: never raises; logs one line when it removed any."""
    try:
        report = clean_stale_segments()
    except Exception:  # housekeeping must never stop a node from starting
        return None
    if report.removed and log is not None:
        log(report.line())
    return report
