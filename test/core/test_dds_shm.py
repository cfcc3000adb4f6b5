"""Stale Fast DDS segment cleaning decides by the owner's flock, never deletes a live process's segment.

Real files and real flock() held by real processes, in a folder of the test's own (the function takes
the folder), so nothing in /dev/shm is touched here. test/ros/test_shm_segments.py runs real nodes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from action_recognition import dds_shm

# A child that takes the segment's lock like Fast DDS does (exclusive flock), says so, and holds it.
HOLDER = (
    "import fcntl, os, sys, time\n"
    "fd = os.open(sys.argv[1], os.O_RDONLY)\n"
    "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
    "print('locked', flush=True)\n"
    "time.sleep(600)\n"
)


def _segment(folder: Path, name: str, size: int = 4096, age_s: float = 60.0) -> Path:
    (folder / name).write_bytes(b"\0" * size)
    lock = folder / (name + "_el")
    lock.touch()
    old = time.time() - age_s
    os.utime(lock, (old, old))
    return lock


def _hold(lock: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_live_owner_keeps_its_segment_dead_owner_loses_it(tmp_path: Path) -> None:
    live, dead = "fastdds_00000000000000aa", "fastdds_00000000000000bb"
    holder = _hold(_segment(tmp_path, live, size=1000))
    _segment(tmp_path, dead, size=3000)
    try:
        assert dds_shm.is_in_use(live, tmp_path) and not dds_shm.is_in_use(dead, tmp_path)
        report = dds_shm.clean_stale_segments(tmp_path)
        assert report.removed == [dead] and report.removed_bytes == 3000 and report.in_use == 1
        assert sorted(os.listdir(tmp_path)) == [live, live + "_el"]
        # The owner dies (SIGKILL: no cleanup of its own); the kernel drops its flock.
        holder.kill()
        holder.wait()
        assert not dds_shm.is_in_use(live, tmp_path)
        assert dds_shm.clean_stale_segments(tmp_path).removed == [live]
        assert os.listdir(tmp_path) == []
    finally:
        holder.kill()
        holder.wait()


def test_young_unlocked_missing_lock_ports_and_other_files_are_left_alone(tmp_path: Path) -> None:
    young = "fastdds_00000000000000cc"
    _segment(tmp_path, young, age_s=0.0)  # just created: its creator may be about to lock it
    orphan = "fastrtps_00000000000000dd"  # Fast DDS 2.x name, segment file without a lock file
    (tmp_path / orphan).write_bytes(b"x")
    others = ["fastdds_port7411", "fastdds_port7411_el", "sem.fastdds_port7411_mutex", "fastdds_notours"]
    for name in others:
        (tmp_path / name).touch()
    report = dds_shm.clean_stale_segments(tmp_path)
    assert report.removed == [] and report.skipped == 2
    assert sorted(os.listdir(tmp_path)) == sorted([young, young + "_el", orphan, *others])
    # Old enough, the unlocked one goes; the lock-less one and the port files stay.
    assert dds_shm.clean_stale_segments(tmp_path, min_age_s=0).removed == [young]
    assert sorted(os.listdir(tmp_path)) == sorted([orphan, *others])


def test_dry_run_reports_without_removing_and_names_limit_the_pass(tmp_path: Path) -> None:
    a, b = "fastdds_00000000000000e1", "fastdds_00000000000000e2"
    _segment(tmp_path, a, size=10)
    _segment(tmp_path, b, size=20)
    dry = dds_shm.clean_stale_segments(tmp_path, dry_run=True)
    assert dry.removed == [a, b] and dry.removed_bytes == 30
    assert len(os.listdir(tmp_path)) == 4
    assert dds_shm.clean_stale_segments(tmp_path, names={b}).removed == [b]
    assert sorted(os.listdir(tmp_path)) == [a, a + "_el"]


def test_missing_folder_is_nothing_to_clean(tmp_path: Path) -> None:
    assert dds_shm.segment_names(tmp_path / "absent") == set()
    assert dds_shm.clean_stale_segments(tmp_path / "absent").removed == []
