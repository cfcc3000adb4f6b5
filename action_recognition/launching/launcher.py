"""Start a LaunchPlan's nodes as separate processes, without ROS 2 `launch` installed.

Same semantics as the launch files (`ros_launch`): every node gets its parameters through a
`/**` parameter file, its name, namespace and remappings through `--ros-args`, and the plan's
environment. Each output line is prefixed with the node's name. Ctrl-C or SIGTERM stops all nodes
(SIGTERM, then SIGKILL after a timeout) and returns 0 if they stopped cleanly; a node
that exits by itself stops all the others and makes the status non-zero (except a node whose exit
ends the launch, such as the demo recorder, whose status is returned).

Nodes never outlive the launcher, even when it is killed with SIGKILL: on Linux each node asks the
kernel for SIGTERM when its parent dies (PR_SET_PDEATHSIG), and everywhere a small reaper process
(`reaper.py`) sees the launcher's pipe close, escalates to SIGKILL after 2 s and removes the temp
folder with the parameter files.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import yaml

from action_recognition.launching.description import DONE_IF_CLEAN, END, LaunchPlan, NodeLaunch

# Exit statuses of a node that stopped because we asked it to (a KeyboardInterrupt that escaped
# during imports makes Python re-raise SIGINT, hence the negative values).
_STOPPED_CLEANLY = {0, -signal.SIGINT, -signal.SIGTERM, 128 + signal.SIGINT, 128 + signal.SIGTERM}


_REAPER = Path(__file__).with_name("reaper.py")


def _die_with_parent_hook() -> Callable[[], None] | None:
    """A preexec function asking Linux for SIGTERM when the launcher dies; None elsewhere.

    Resolved before fork: the child runs only the prctl call (no imports, no allocation that could
    deadlock on a lock another launcher thread held at fork time).
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()
    pr_set_pdeathsig, sigterm = 1, int(signal.SIGTERM)

    def hook() -> None:
        prctl(pr_set_pdeathsig, sigterm, 0, 0, 0)
        if os.getppid() != parent:  # the launcher died before prctl took effect
            os._exit(1)

    return hook


@dataclass(frozen=True)
class PreparedNode:
    node: NodeLaunch
    argv: list[str]
    env: dict[str, str]


def node_argv(node: NodeLaunch, params_file: Path, python: str = sys.executable) -> list[str]:
    """The command line of one node: `python -m <module> --ros-args ...`."""
    argv = [python, "-m", node.module, "--ros-args", "--params-file", str(params_file),
            "-r", f"__node:={node.name}"]
    if node.namespace:
        argv += ["-r", f"__ns:={node.namespace}"]
    for src, dst in node.remappings:
        argv += ["-r", f"{src}:={dst}"]
    return argv


def prepare(plan: LaunchPlan, folder: Path) -> list[PreparedNode]:
    """Write each node's parameter file into `folder` and build its command line and environment."""
    env = {**os.environ, **plan.env}
    out = []
    for node in plan.nodes:
        params_file = folder / f"{node.name}.params.yaml"
        # '/**' matches the node whatever its name and namespace, like launch_ros does with a dict.
        params_file.write_text(yaml.safe_dump({"/**": {"ros__parameters": node.parameters}}, sort_keys=False))
        out.append(PreparedNode(node, node_argv(node, params_file), env))
    return out


class Launcher:
    """Run prepared nodes until a stop signal, the end node's exit, or a node's death."""

    def __init__(self, nodes: list[PreparedNode], out: IO[str] | None = None, stop_timeout: float = 10.0,
                 term_timeout: float = 5.0, temp_folder: Path | None = None) -> None:
        self.nodes = nodes
        self.temp_folder = temp_folder
        self._reaper: subprocess.Popen | None = None
        self.out = out or sys.stdout
        self.stop_timeout = stop_timeout
        self.term_timeout = term_timeout
        self._procs: dict[str, subprocess.Popen] = {}
        self._readers: list[threading.Thread] = []
        self._write_lock = threading.Lock()
        self._stop_signal: int | None = None
        self._signals_seen = 0

    def say(self, text: str) -> None:
        self._write(f"[launch] {text}\n")

    def _write(self, text: str) -> None:
        with self._write_lock:
            self.out.write(text)
            self.out.flush()

    def _pump(self, name: str, stream: IO[str], prefix: bool) -> None:
        for line in stream:
            self._write(f"[{name}] {line}" if prefix else line)
        stream.close()

    def _on_signal(self, signum: int, frame: object) -> None:
        self._signals_seen += 1
        self._stop_signal = signum
        if self._signals_seen > 1:  # impatient second Ctrl-C: do not wait for graceful shutdowns
            self.stop_timeout = min(self.stop_timeout, 0.5)

    def _start_reaper(self) -> None:
        # -S: no site, so no venv bootstrap re-exec and no imports beyond the stdlib.
        argv = [sys.executable, "-S", str(_REAPER), str(self.temp_folder or "")]
        self._reaper = subprocess.Popen(argv, stdin=subprocess.PIPE, text=True, bufsize=1,
                                        start_new_session=True)

    def _tell_reaper(self, line: str) -> None:
        if self._reaper is not None and self._reaper.stdin is not None:
            with contextlib.suppress(OSError, ValueError):
                self._reaper.stdin.write(line + "\n")
                self._reaper.stdin.flush()

    def _stop_reaper(self) -> None:
        """Our own stop path ran: the reaper exits without touching anything."""
        if self._reaper is None:
            return
        self._tell_reaper("done")
        with contextlib.suppress(OSError, ValueError):
            self._reaper.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._reaper.wait(timeout=2.0)

    def start(self) -> None:
        self._start_reaper()
        die_with_parent = _die_with_parent_hook()
        for p in self.nodes:
            # Own session: a terminal's Ctrl-C reaches only the launcher, which sends each node
            # exactly one stop signal; with a shared group every node would get two.
            proc = subprocess.Popen(
                p.argv, env=p.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, errors="replace", bufsize=1, start_new_session=True,
                preexec_fn=die_with_parent,
            )
            self._tell_reaper(f"pid {proc.pid}")
            self._procs[p.node.name] = proc
            self.say(f"started {p.node.name} (pid {proc.pid}): {' '.join(p.argv[1:3])}")
            args = (p.node.name, proc.stdout, p.node.prefix_output)
            reader = threading.Thread(target=self._pump, args=args, name=f"out-{p.node.name}", daemon=True)
            reader.start()
            self._readers.append(reader)

    def run(self) -> int:
        """Start, supervise, stop; returns the launch's exit status."""
        handlers = {}
        if threading.current_thread() is threading.main_thread():
            handlers = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.start()
            return self._supervise()
        finally:
            self._stop_all()
            self._stop_reaper()
            for reader in self._readers:
                reader.join(timeout=2.0)
            for s, h in handlers.items():
                signal.signal(s, h)

    def _supervise(self) -> int:
        by_name = {p.node.name: p.node for p in self.nodes}
        finished: set[str] = set()
        while True:
            if self._stop_signal is not None:
                self.say(f"{signal.Signals(self._stop_signal).name} received: stopping all nodes")
                return 0 if self._stop_all() else 1
            for name, proc in self._procs.items():
                rc = proc.poll()
                if rc is None or name in finished:
                    continue
                finished.add(name)
                policy = by_name[name].on_exit
                if policy == DONE_IF_CLEAN and rc == 0:
                    self.say(f"{name} finished")
                    continue
                if policy == END:
                    self.say(f"{name} finished with exit status {rc}: stopping all nodes")
                    self._stop_all()
                    return rc
                self.say(f"{name} died with exit status {rc}: stopping all nodes")
                self._stop_all()
                return rc if rc > 0 else 1
            if len(finished) == len(self._procs):
                return 0
            time.sleep(0.05)

    def _stop_all(self) -> bool:
        """SIGTERM every running node, SIGKILL after stop_timeout; True when all stopped cleanly."""
        running = {n: p for n, p in self._procs.items() if p.poll() is None}
        clean = True
        # SIGTERM, not SIGINT: a node still importing (torch, Ultralytics) has no handler yet, and
        # SIGINT then printed a KeyboardInterrupt traceback per node, while SIGTERM's default action
        # ends it quietly; a running node stops cleanly on either (its own handler, summary line).
        for sig, timeout in ((signal.SIGTERM, self.stop_timeout), (signal.SIGKILL, self.term_timeout)):
            if not running:
                break
            if sig != signal.SIGTERM:
                clean = False
                self.say(f"{', '.join(running)} still running: sending {sig.name}")
            for proc in running.values():
                _signal_group(proc, sig)
            deadline = time.monotonic() + timeout
            while running and time.monotonic() < deadline:
                running = {n: p for n, p in running.items() if p.poll() is None}
                time.sleep(0.05)
        stopped = [p.returncode for p in self._procs.values() if p.returncode is not None]
        return clean and all(rc in _STOPPED_CLEANLY for rc in stopped) and not running

    @property
    def pids(self) -> dict[str, int]:
        return {n: p.pid for n, p in self._procs.items()}


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)  # the node's session: also reaches anything it started


def launch(plan: LaunchPlan, out: IO[str] | None = None) -> int:
    """Run `plan` in the foreground; the exit status of `action-recognition launch`."""
    with tempfile.TemporaryDirectory(prefix=f"ar-launch-{plan.name}-") as tmp:
        launcher = Launcher(prepare(plan, Path(tmp)), out, temp_folder=Path(tmp))
        started = time.monotonic()
        rc = launcher.run()
        launcher.say(f"{plan.name} ended after {time.monotonic() - started:.1f} s with exit status {rc}")
        return rc
