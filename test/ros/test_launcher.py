"""`action-recognition launch` with real nodes in real processes: Ctrl-C/SIGTERM stop everything and exit 0,
a node that dies stops the others and makes the status non-zero, each output line names its node."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from proc_state import running
from random_model import save_random_model


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    # Random weights: these tests check behaviour, not which label is right.
    return save_random_model(tmp_path_factory.mktemp("model"), ["a", "b"], seed=0)


class Launch:
    """`action-recognition launch ...` in the background, its output collected line by line."""

    def __init__(self, cwd: Path, *arguments: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "action_recognition.cli.main", "launch", *arguments],
            cwd=cwd,
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True)
        self._reader.start()

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for line in list(self.lines):
                if m := re.search(pattern, line):
                    return m
            if self.proc.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.1)
        raise AssertionError(f"no line matching {pattern!r}:\n" + "".join(self.lines[-40:]))

    def pids(self) -> dict[str, int]:
        started = (re.match(r"\[launch\] started (\S+) \(pid (\d+)\)", line) for line in self.lines)
        return {m[1]: int(m[2]) for m in started if m}

    def finish(self, timeout: float) -> int:
        rc = self.proc.wait(timeout)
        self._reader.join(5)
        return rc

    def kill_all(self) -> None:
        """Test cleanup: nothing may outlive a failed test."""
        for pid in [*self.pids().values(), self.proc.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize(("sig", "pipeline"), [(signal.SIGINT, "pipeline"), (signal.SIGTERM, "action")])
def test_signal_stops_all_nodes_cleanly(sig, pipeline, model_path, tmp_path) -> None:
    ns = f"launch_sig_{os.getpid()}_{sig.value}"
    extra = ["imgsz:=320"] if pipeline == "pipeline" else []
    run = Launch(tmp_path, pipeline, f"namespace:={ns}", f"action_model:={model_path}", *extra)
    try:
        run.wait_for(r"^\[action_node\] .*subscribed to /" + ns + "/skeletons", 120)
        if pipeline == "pipeline":
            run.wait_for(r"^\[pose_node\] .*subscribed to /" + ns + "/image", 120)
        pids = run.pids()
        assert set(pids) == ({"pose_node", "action_node"} if pipeline == "pipeline" else {"action_node"})
        run.proc.send_signal(sig)
        assert run.finish(60) == 0, "".join(run.lines[-30:])
        assert not any(running(p) for p in pids.values())
        assert any(f"{sig.name} received" in line for line in run.lines)
    finally:
        run.kill_all()


def test_dead_node_stops_the_others_and_fails(model_path, tmp_path) -> None:
    ns = f"launch_dead_{os.getpid()}"
    run = Launch(tmp_path, "pipeline", f"namespace:={ns}", f"action_model:={model_path}", "imgsz:=320")
    try:
        run.wait_for(r"^\[action_node\] .*model ", 120)
        run.wait_for(r"^\[pose_node\] .*subscribed to", 120)
        pids = run.pids()
        os.kill(pids["action_node"], signal.SIGKILL)  # a crash no handler can soften
        rc = run.finish(60)
        assert rc != 0
        died = [line for line in run.lines if "action_node died with exit status -9" in line]
        assert died, "".join(run.lines[-20:])
        assert not running(pids["pose_node"]), "the launcher must stop the surviving node"
    finally:
        run.kill_all()


def test_node_failing_at_start_fails_the_launch(tmp_path) -> None:
    ns = f"launch_bad_{os.getpid()}"
    run = Launch(tmp_path, "action", f"namespace:={ns}", "action_model:=/nonexistent/model.pth")
    try:
        rc = run.finish(120)
        assert rc == 1
        assert any(line.startswith("[action_node] ") and "does not exist" in line for line in run.lines)
        assert any("action_node died with exit status 1" in line for line in run.lines)
    finally:
        run.kill_all()


@pytest.mark.parametrize(("name", "expected"), [("truncated.pth", "truncated or corrupt"),
                                              ("corrupt.onnx", "not a readable ONNX model")])
def test_bad_model_file_fails_the_launch_with_one_line(model_path, tmp_path, name, expected) -> None:
    """These files used to end the action node in a traceback; now its one error line, exit 1."""
    from bad_model_files import bad_model_files

    bad = bad_model_files(tmp_path / "models", model_path)[name]
    run = Launch(tmp_path, "action", f"namespace:=launch_badfile_{os.getpid()}", f"action_model:={bad}")
    try:
        assert run.finish(120) == 1
        errors = [line for line in run.lines if line.startswith("[action_node] ") and expected in line]
        assert len(errors) == 1 and name in errors[0], "".join(run.lines)
        assert not any("Traceback" in line for line in run.lines), "".join(run.lines)
    finally:
        run.kill_all()


def test_bad_argument_is_refused_before_anything_starts(tmp_path) -> None:
    run = Launch(tmp_path, "pipeline", "qos:=fast")
    assert run.finish(60) == 2
    assert not run.pids() and any("expected one of" in line for line in run.lines)


def _params_folder(pid: int) -> Path:
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    return Path(argv[argv.index(b"--params-file") + 1].decode()).parent


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads node command lines from /proc")
def test_sigkilled_launcher_takes_its_nodes_and_temp_folder_along(model_path, tmp_path) -> None:
    """SIGKILL gives the launcher no chance to stop anything: its nodes used to live on as orphans
    (about 2 GB, still publishing) with the parameter folder left in /tmp."""
    ns = f"launch_kill9_{os.getpid()}"
    run = Launch(tmp_path, "action", f"namespace:={ns}", f"action_model:={model_path}")
    try:
        run.wait_for(r"^\[action_node\] .*subscribed to /" + ns + "/skeletons", 120)
        pids = run.pids()
        folder = _params_folder(pids["action_node"])
        assert folder.is_dir()
        run.proc.kill()
        run.proc.wait(30)
        end = time.monotonic() + 30  # a bound for a loaded machine, not a speed check
        while time.monotonic() < end and (any(running(p) for p in pids.values()) or folder.exists()):
            time.sleep(0.1)
        assert not any(running(p) for p in pids.values()), "a node outlived its SIGKILLed launcher"
        assert not folder.exists(), f"{folder} left behind"
    finally:
        run.kill_all()


def test_stop_during_startup_is_quiet(model_path, tmp_path) -> None:
    """Stopped while its nodes still import torch/Ultralytics (a demo whose first node fails, a quick
    Ctrl-C), the launcher's SIGINT gave one KeyboardInterrupt traceback per node (about 18 lines)."""
    ns = f"launch_early_{os.getpid()}"
    run = Launch(tmp_path, "pipeline", f"namespace:={ns}", f"action_model:={model_path}")
    try:
        run.wait_for(r"^\[launch\] started action_node", 60)
        run.proc.send_signal(signal.SIGINT)
        assert run.finish(60) == 0, "".join(run.lines)
        noisy = [line for line in run.lines if "Traceback" in line or "KeyboardInterrupt" in line]
        assert not noisy, "".join(run.lines)
    finally:
        run.kill_all()
