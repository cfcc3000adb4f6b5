"""Start the nodes `bag eval` measures, as a child process group, and stop them again.

With the `action-recognition launch` command installed (action_recognition/cli/launch.py) `bag eval`
runs `launch NAME namespace:=NS ...`; without it, it starts the nodes directly (`action`: the action
node; `pipeline`: pose node + action node), each remapping /diagnostics into the namespace. Either
way the nodes get EVAL_PARAMS (deep input queues, rounds that depend on the input alone).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import yaml

LAUNCH_NAMES = ("action", "pipeline")

# What `bag eval` measures must not depend on timing. The replay is reliable and deep, and so are the
# nodes' input queues: a node slowed down by other load falls behind and catches up, nothing is
# dropped (with the default depth 10 a busy machine lost messages at --rate 4). The action node
# defers late rounds up to qos_depth messages instead of merging them, and runs no timer rounds, so
# its labels are those of the frame-by-frame recognizer (ActionRecognizer.feed). A user's own value
# (--direct --launch-arg NAME:=..., or their action_config/pose_config file) wins.
EVAL_QOS_DEPTH = 1000
EVAL_PARAMS = {
    "action_node": {"qos_depth": EVAL_QOS_DEPTH, "spread_timer": False},
    "pose_node": {"qos_depth": EVAL_QOS_DEPTH},
}


def launcher_available() -> bool:
    return importlib.util.find_spec("action_recognition.cli.launch") is not None


def input_topic(name: str, ns: str) -> str:
    """Where the launched nodes read their input: skeletons for `action`, images for `pipeline`."""
    return f"{ns}/skeletons" if name == "action" else f"{ns}/image"


def pipeline_commands(
    name: str,
    ns: str,
    action_model: str | None,
    extra: Sequence[str],
    use_launcher: bool | None = None,
    config_dir: Path | None = None,
) -> list[list[str]]:
    """Command lines to run; `extra` are name:=value launch arguments (node parameters when direct).

    config_dir: where the launcher path writes the parameter files holding EVAL_PARAMS (a temporary
    folder when None).
    """
    if name not in LAUNCH_NAMES:
        raise ValueError(f"launch {name!r}: choose one of {LAUNCH_NAMES}")
    use_launcher = launcher_available() if use_launcher is None else use_launcher
    if use_launcher:
        cmd = [sys.executable, "-m", "action_recognition.cli.main", "launch", name, f"namespace:={ns}"]
        cmd.append(f"skeletons:={ns}/skeletons" if name == "action" else f"image:={ns}/image")
        if action_model:
            cmd.append(f"action_model:={action_model}")
        given = {arg.partition(":=")[0] for arg in extra}
        folder = Path(config_dir) if config_dir is not None else Path(tempfile.mkdtemp(prefix="bag_eval_"))
        for node in ("action_node",) if name == "action" else ("action_node", "pose_node"):
            argument = f"{node.removesuffix('_node')}_config"
            if argument not in given:
                cmd.append(f"{argument}:={_eval_config(folder, node)}")
        return [cmd + list(extra)]
    base = ["--ros-args", "-r", f"__ns:={ns}", "-r", f"/diagnostics:={ns}/diagnostics"]
    action = [sys.executable, "-m", "action_recognition.nodes.action_node", *base]
    if action_model:
        action += ["-p", f"model:={action_model}"]
    pose_params: list[str] = []
    given = set()
    for arg in extra:
        key, sep, value = arg.partition(":=")
        if not sep:
            raise ValueError(f"launch argument {arg!r}: expected name:=value")
        given.add(key)
        if key.startswith("pose_"):  # pose_imgsz:=320 -> the pose node's imgsz
            pose_params += ["-p", f"{key[5:]}:={value}"]
        else:
            action += ["-p", f"{key}:={value}"]
    action += _eval_params("action_node", given, "")
    if name == "action":
        return [action]
    pose = [sys.executable, "-m", "action_recognition.nodes.pose_node", *base, "-r", f"image:={ns}/image"]
    return [pose + pose_params + _eval_params("pose_node", given, "pose_"), action]


def _eval_params(node: str, given: set[str], prefix: str) -> list[str]:
    out = []
    for key, value in EVAL_PARAMS[node].items():
        if prefix + key not in given:
            out += ["-p", f"{key}:={str(value).lower()}"]
    return out


def _eval_config(folder: Path, node: str) -> Path:
    """A partial parameter file with EVAL_PARAMS (the launcher fills in the defaults for the rest)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{node}_eval.yaml"
    path.write_text(yaml.safe_dump({f"/**/{node}": {"ros__parameters": EVAL_PARAMS[node]}}))
    return path


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
