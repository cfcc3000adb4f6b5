"""The tests' process check: live, zombie and reaped processes, read without racing their exit."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from proc_state import running

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")


def test_live_zombie_and_reaped_processes() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        assert running(proc.pid)
        proc.stdin.close()  # it exits; unreaped it is a zombie until wait()
        end = time.monotonic() + 60  # a hang guard for a loaded machine, not a speed check
        while running(proc.pid) and time.monotonic() < end:
            time.sleep(0.05)
        assert not running(proc.pid)
        assert Path(f"/proc/{proc.pid}").exists(), "not reaped yet: this is the zombie case"
    finally:
        proc.kill()
        proc.wait()
    assert not running(proc.pid)  # reaped: /proc/<pid> is gone


def test_a_process_name_with_a_parenthesis_and_spaces(tmp_path: Path) -> None:
    # The state field follows the last ')': in a name like "a) Z (b" a parse at the first ')' reads a zombie.
    exe = tmp_path / "a) Z (b"
    exe.symlink_to("/bin/sleep")
    proc = subprocess.Popen([str(exe), "30"])
    try:
        assert running(proc.pid)
        proc.kill()
        proc.wait()
        assert not running(proc.pid)
    finally:
        proc.kill()
        proc.wait()
