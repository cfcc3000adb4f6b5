"""Start the nodes `bag eval` measures, as a child process group, and stop them again.

With the `action-recognition launch` command installed (action_recognition/cli/launch.py) `bag eval`
runs `launch NAME namespace:=NS ...`; without it, it starts the nodes directly (`action`: the action
node; `pipeline`: pose node + action node), each remapping /diagnostics into the namespace.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

LAUNCH_NAMES = ("action", "pipeline")


def launcher_available() -> bool:
    return importlib.util.find_spec("action_recognition.cli.launch") is not None


def input_topic(name: str, ns: str) -> str:
    """Where the launched nodes read their input: skeletons for `action`, images for `pipeline`."""
    return f"{ns}/skeletons" if name == "action" else f"{ns}/image"


def pipeline_commands(
    name: str, ns: str, action_model: str | None, extra: Sequence[str], use_launcher: bool | None = None
) -> list[list[str]]:
    """Command lines to run; `extra` are name:=value launch arguments (node parameters when direct)."""
    if name not in LAUNCH_NAMES:
        raise ValueError(f"launch {name!r}: choose one of {LAUNCH_NAMES}")
    use_launcher = launcher_available() if use_launcher is None else use_launcher
    if use_launcher:
        cmd = [sys.executable, "-m", "action_recognition.cli.main", "launch", name, f"namespace:={ns}"]
        cmd.append(f"skeletons:={ns}/skeletons" if name == "action" else f"image:={ns}/image")
        if action_model:
            cmd.append(f"action_model:={action_model}")
        return [cmd + list(extra)]
    base = ["--ros-args", "-r", f"__ns:={ns}", "-r", f"/diagnostics:={ns}/diagnostics"]
    action = [sys.executable, "-m", "action_recognition.nodes.action_node", *base]
    if action_model:
        action += ["-p", f"model:={action_model}"]
    pose_params: list[str] = []
    for arg in extra:
        key, sep, value = arg.partition(":=")
        if not sep:
            raise ValueError(f"launch argument {arg!r}: expected name:=value")
        if key.startswith("pose_"):  # pose_imgsz:=320 -> the pose node's imgsz
            pose_params += ["-p", f"{key[5:]}:={value}"]
        else:
            action += ["-p", f"{key}:={value}"]
    if name == "action":
        return [action]
    pose = [sys.executable, "-m", "action_recognition.nodes.pose_node", *base, "-r", f"image:={ns}/image"]
    return [pose + pose_params, action]


class Pipeline:
    """The child processes; output goes to one log file (the report folder's pipeline.log)."""

    def __init__(self, commands: list[list[str]], log: Path) -> None:
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = log
        self._log = log.open("w")
        # Own session: a Ctrl-C in the terminal reaches only `bag eval`, which then measures what
        # is still in flight before it stops the nodes itself.
        self.procs = [
            subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
            for cmd in commands
        ]

    def failed(self) -> str | None:
        """A line naming the first child that exited, or None while all run."""
        for p in self.procs:
            if p.poll() is not None:
                return f"{' '.join(p.args[:4])} ... exited with {p.returncode}"
        return None

    def log_tail(self, lines: int = 20) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 15.0) -> list[int | None]:
        # SIGTERM first: quiet even for a node still importing (SIGINT gave KeyboardInterrupt tracebacks).
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for p in self.procs:
                if p.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(p.pid, sig)
            for p in self.procs:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    p.wait(timeout=timeout if sig != signal.SIGKILL else None)
            if all(p.poll() is not None for p in self.procs):
                break
        self._log.close()
        return [p.returncode for p in self.procs]
