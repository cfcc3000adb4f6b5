"""Fast DDS shared-memory segments (/dev/shm, 32 MiB + 512 KiB per process with our profile) go away
with their process: on a clean stop the node removes them, after SIGKILL the next node start (or
`doctor --clean-shm`) does. Before the fix every clean stop of the pose or action node left them.

Each test follows only the segments of the processes it started (the lock files they hold open,
read from /proc/<pid>/fd), so other processes on the machine neither disturb it nor are touched.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from proc_state import running
from rcl_interfaces.srv import GetParameters
from ros_client import ContextNode

from action_recognition import dds_shm, paths

PROFILE = str(paths.config_dir() / "fastdds_shm.xml")
NODES = {  # module: (arguments, a line it logs when its participant exists, the node's name)
    "action_node": ([], "subscribed to", "action_node"),
    "pose_node": (["-p", "imgsz:=320"], "subscribed to", "pose_node"),
    "video_source_node": (["-p", "loop:=true"], "publishing", "video_source"),
}


def _ns(tag: str) -> str:
    return f"/shm_{tag}_{os.getpid()}_{time.monotonic_ns() % 100000}"


def present(names: set[str]) -> set[str]:
    """Those of `names` still in /dev/shm as segment or lock file."""
    return {n for n in names if (dds_shm.SHM_DIR / n).exists()
            or (dds_shm.SHM_DIR / (n + dds_shm.LOCK_SUFFIX)).exists()}


class NodeProcess:
    def __init__(self, kind: str, cwd: Path) -> None:
        extra, self.ready, name = NODES[kind]
        self.fqn = f"{_ns(kind)}/{name}"
        cmd = [sys.executable, "-m", f"action_recognition.nodes.{kind}", "--ros-args",
               "-r", f"__ns:={self.fqn.rsplit('/', 1)[0]}", *extra]
        env = dict(os.environ, FASTDDS_DEFAULT_PROFILES_FILE=PROFILE)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     cwd=cwd, env=env)
        self.out = ""

    def wait_ready(self) -> set[str]:
        """Reads the log up to the ready line; the segments the node holds then (its participant's)."""
        while self.ready not in self.out:
            line = self.proc.stdout.readline()
            assert line, f"the node ended before it was ready:\n{self.out}"
            self.out += line
        owned = dds_shm.own_segments(self.proc.pid)
        assert len(owned) >= 1, "the node holds no Fast DDS segment: is shared memory off?"
        return owned

    def wait_spinning(self) -> None:
        """Until the node answers a parameter request: it is spinning (a signal now is a running
        node's stop, not the quiet stop during startup)."""
        probe = ContextNode("shm_probe")
        try:
            client = probe.node.create_client(GetParameters, f"{self.fqn}/get_parameters")
            assert probe.spin_until(lambda: client.service_is_ready() or self.proc.poll() is not None, 120)
            future = client.call_async(GetParameters.Request(names=["use_sim_time"]))
            assert probe.spin_until(lambda: future.done() or self.proc.poll() is not None, 60)
            assert future.done(), self.out
        finally:
            probe.close()

    def finish(self, sig: int) -> str:
        self.proc.send_signal(sig)
        rest, _ = self.proc.communicate(timeout=60)  # a hang guard, not a timing assertion
        return self.out + rest

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def _wait_older_than_min_age(names: set[str]) -> None:
    """Until every lock file is old enough for the cleaner (it skips young ones: see dds_shm)."""
    locks = [dds_shm.SHM_DIR / (n + dds_shm.LOCK_SUFFIX) for n in names]
    while min(time.time() - lock.stat().st_mtime for lock in locks) <= dds_shm.MIN_AGE_S:
        time.sleep(0.2)


@pytest.mark.parametrize(("kind", "sig"), [
    ("action_node", signal.SIGINT),
    ("action_node", signal.SIGTERM),
    ("pose_node", signal.SIGTERM),
    ("video_source_node", signal.SIGTERM),
])
def test_clean_stop_removes_the_node_segments(kind: str, sig: int, tmp_path: Path) -> None:
    node = NodeProcess(kind, tmp_path)
    try:
        owned = node.wait_ready()
        node.wait_spinning()
        out = node.finish(sig)
    finally:
        node.kill()
    assert node.proc.returncode == 0, out
    assert "stopped" in out or "end of video" in out, out  # it stopped cleanly, with its summary
    assert "outlived the node" not in out, out  # the participant was destroyed, no safety net needed
    # Before the fix the pose and action nodes left both (35.7 MB per stop).
    assert present(owned) == set(), f"{kind} left {sorted(present(owned))} in {dds_shm.SHM_DIR}"


def test_impatient_second_signal_still_removes_the_node_segments(tmp_path: Path) -> None:
    """SIGINT then SIGTERM at once: the second ends the node at once (os._exit, no participant
    teardown), as a killed launcher's SIGTERM and its reaper's SIGTERM did."""
    node = NodeProcess("action_node", tmp_path)
    try:
        owned = node.wait_ready()
        node.wait_spinning()
        os.kill(node.proc.pid, signal.SIGINT)
        out = node.finish(signal.SIGTERM)
    finally:
        node.kill()
    assert node.proc.returncode in (128 + signal.SIGINT, 128 + signal.SIGTERM), out  # the impatient exit
    assert present(owned) == set(), f"left {sorted(present(owned))}"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the launcher's node pids from /proc")
def test_sigkilled_launcher_leaves_no_node_segments(tmp_path: Path) -> None:
    ns = _ns("launch")
    env = dict(os.environ, FASTDDS_DEFAULT_PROFILES_FILE=PROFILE)
    launch = subprocess.Popen([sys.executable, "-m", "action_recognition.cli.main", "launch", "action",
                               f"namespace:={ns}"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, cwd=tmp_path, env=env)
    out, pid = "", 0
    try:
        while "subscribed to" not in out:
            line = launch.stdout.readline()
            assert line, out
            out += line
            if m := re.match(r"\[launch\] started action_node \(pid (\d+)\)", line):
                pid = int(m[1])
        owned = dds_shm.own_segments(pid)
        assert owned, out
        launch.kill()
        launch.communicate(timeout=60)
        end = time.monotonic() + 30  # a bound for a loaded machine, not a speed check
        while running(pid) and time.monotonic() < end:
            time.sleep(0.1)
    finally:
        launch.kill()
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert present(owned) == set(), f"left {sorted(present(owned))}"


def sigkilled_segments(node: str, tmp_path: Path) -> set[str]:
    """The segments of a node SIGKILLed once they are older than the cleaner's minimum age."""
    killed = NodeProcess(node, tmp_path)
    try:
        owned = killed.wait_ready()
        _wait_older_than_min_age(owned)
        killed.finish(signal.SIGKILL)
    finally:
        killed.kill()
    return owned


def test_sigkilled_node_segments_are_removed_by_the_next_start(tmp_path: Path) -> None:
    owned = sigkilled_segments("action_node", tmp_path)
    assert present(owned) == owned  # SIGKILL: nothing could clean up
    assert not any(dds_shm.is_in_use(n) for n in owned)  # and the owner's lock is gone with it
    restarted = NodeProcess("action_node", tmp_path)
    try:
        restarted.wait_ready()
        out = restarted.finish(signal.SIGTERM)
    finally:
        restarted.kill()
    assert present(owned) == set(), out
    assert "stale Fast DDS shared-memory segments" in out, out


def _one_message_bag(path: Path) -> Path:
    from action_recognition.bag.io import BagWriter
    from action_recognition.bag.make import DEFAULT_START_NS

    with BagWriter(path) as bag:
        t = bag.store.types
        bag.add_topic("/shm_probe_skeletons", "action_recognition/msg/SkeletonArray")
        stamp = t["builtin_interfaces/msg/Time"](sec=DEFAULT_START_NS // 10**9, nanosec=0)
        msg = t["action_recognition/msg/SkeletonArray"](
            header=t["std_msgs/msg/Header"](stamp=stamp, frame_id="f"), image_width=640, image_height=480,
            layout="coco", skeletons=[])
        bag.write("/shm_probe_skeletons", DEFAULT_START_NS, msg)
    return path


@pytest.mark.parametrize("tool", ["echo", "bag play"])
def test_sigkilled_node_segments_are_removed_by_the_next_cli_tool(tool: str, tmp_path: Path) -> None:
    """`echo` and `bag play` start DDS participants of their own, as nodes do, and clean up after
    killed processes the same way (before, only nodes, the launcher and doctor did)."""
    owned = sigkilled_segments("action_node", tmp_path)
    assert present(owned) == owned
    args = (["echo", "--topic", _ns("echo") + "/actions", "--timeout", "0.5"] if tool == "echo"
            else ["bag", "play", str(_one_message_bag(tmp_path / "bag"))])
    env = dict(os.environ, FASTDDS_DEFAULT_PROFILES_FILE=PROFILE)
    run = subprocess.run([str(Path(sys.prefix) / "bin" / "action-recognition"), *args], capture_output=True,
                         text=True, timeout=120, cwd=tmp_path, env=env)
    assert run.returncode == (1 if tool == "echo" else 0), run.stdout + run.stderr  # echo: its timeout
    assert present(owned) == set(), run.stdout + run.stderr
    assert "stale Fast DDS shared-memory segments" in run.stderr, run.stderr


def test_doctor_reports_and_cleans_a_killed_node_segments(tmp_path: Path) -> None:
    owned = sigkilled_segments("video_source_node", tmp_path)
    doctor = [str(Path(sys.prefix) / "bin" / "action-recognition"), "doctor"]
    report = subprocess.run(doctor, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    line = next(s for s in report.stdout.splitlines() if "shared memory:" in s)
    assert "left by dead processes" in line and "--clean-shm" in line, report.stdout
    assert present(owned) == owned  # a report only
    clean = subprocess.run([*doctor, "--clean-shm"], capture_output=True, text=True, timeout=120,
                           cwd=tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert present(owned) == set(), clean.stdout


INNER_TEST = '''
import os, signal, subprocess, sys, time
from pathlib import Path

from action_recognition.dds_shm import own_segments

NODE = ("import rclpy, time; rclpy.init(); n = rclpy.create_node('shm_killed'); "
        "print('up', flush=True); time.sleep(600)")


def test_kill_a_node():
    proc = subprocess.Popen([sys.executable, "-c", NODE], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "up"
    owned = set()
    while not owned:
        owned = own_segments(proc.pid)
    Path(os.environ["OWNED_FILE"]).write_text(" ".join(sorted(owned)))
    time.sleep(1.5)  # older than the session-end pass's minimum age (1 s)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
'''


def test_test_session_removes_segments_of_nodes_it_killed(tmp_path: Path) -> None:
    """The session fixture of test/conftest.py, run by a pytest of its own whose one test SIGKILLs a
    node: after that pytest the node's segments are gone."""
    here = Path(__file__).resolve().parent
    (tmp_path / "conftest.py").write_text((here.parent / "conftest.py").read_text())
    (tmp_path / "test_inner.py").write_text(INNER_TEST)
    owned_file = tmp_path / "owned.txt"
    env = dict(os.environ, FASTDDS_DEFAULT_PROFILES_FILE=PROFILE, OWNED_FILE=str(owned_file),
               PYTHONPATH=os.pathsep.join([str(here), os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run([str(Path(sys.prefix) / "bin" / "pytest"), "-q", "-p", "no:cacheprovider",
                          str(tmp_path)], capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    owned = set(owned_file.read_text().split())
    assert owned and present(owned) == set(), run.stdout
