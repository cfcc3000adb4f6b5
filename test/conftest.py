"""Shared test setup: keep DDS on loopback and give every test run its own domain."""

from __future__ import annotations

import atexit
import os
import random
import shutil
import signal
import tempfile

import pytest

# Set before any test imports rclpy so no discovery traffic leaves the machine and parallel
# runs on one machine never see each other.
os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
os.environ.setdefault("ROS_DOMAIN_ID", str(random.SystemRandom().randint(1, 100)))
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "0")
# A suite started as a background job of a script (`./test.sh &`, nohup, some CI runners) inherits
# SIGINT and SIGQUIT ignored, and so would every process it starts: `ros2 launch` then ignores the
# Ctrl-C (SIGINT) the tests send as a user would, and hangs until killed. Give this process a handler:
# its children start with the default disposition, as from a terminal.
for _sig in (signal.SIGINT, signal.SIGQUIT):
    if signal.getsignal(_sig) == signal.SIG_IGN:
        signal.signal(_sig, signal.default_int_handler if _sig == signal.SIGINT else signal.SIG_DFL)
# Derived files (ONNX exports of checkpoints) go to a per-run folder, not the user's cache, removed
# when the run ends (each run left about 50 MB in /tmp before: 2.7 GB after a few days' runs).
if "ACTION_RECOGNITION_CACHE_DIR" not in os.environ:
    os.environ["ACTION_RECOGNITION_CACHE_DIR"] = tempfile.mkdtemp(prefix="ar_test_cache_")
    atexit.register(shutil.rmtree, os.environ["ACTION_RECOGNITION_CACHE_DIR"], ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _no_stale_dds_segments():
    """Nodes this run killed (SIGKILL, a timeout) leave Fast DDS segments in RAM (/dev/shm); remove
    those of dead processes at the end (never a live one's; docs/reliability.md, "Shared memory")."""
    yield
    from action_recognition import dds_shm

    # 1 s, not the nodes' 10 s: also the segments of nodes killed in the last tests.
    dds_shm.clean_stale_segments(min_age_s=1.0)


@pytest.fixture(scope="session")
def installed_pose_assets() -> None:
    """The pose weights and demo video that ./install.sh places. Tests that need them fail without
    them: a skip would let a broken install pass the suite."""
    from action_recognition.paths import default_pose_weights, demo_video

    missing = [str(p) for p in (default_pose_weights(), demo_video()) if not p.is_file()]
    assert not missing, f"not installed: {', '.join(missing)}; run ./install.sh (it places them)"
