"""A node process sent SIGINT (a terminal's Ctrl-C) or SIGTERM while it is still importing ends
quietly: status 0, no KeyboardInterrupt traceback. Before: a node's first ~0.6 s of imports (numpy,
rclpy, ONNX Runtime, ...) ran with Python's default SIGINT handler.

The signal is sent once the process has mapped numpy's core library (imported by every node module,
after the package itself): the node is then in the middle of its imports, long before rclpy.init.
"""

from __future__ import annotations

import configparser
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from action_recognition.startup import NODE_MODULES

ROOT = Path(__file__).resolve().parents[2]
NOISE = ("Traceback", "KeyboardInterrupt", "Fatal Python error")


def _default_signals() -> None:
    # A terminal's child gets SIGINT at its default; a background job of a script inherits it ignored.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _mapped(pid: int, name: str) -> bool:
    try:
        return name in Path(f"/proc/{pid}/maps").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False


@pytest.mark.parametrize("module", sorted(NODE_MODULES.values()))
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_during_imports_is_quiet(module: str, sig: int, tmp_path: Path) -> None:
    ns = f"/early_{os.getpid()}_{time.monotonic_ns() % 100000}"
    cmd = [sys.executable, "-m", module, "--ros-args", "-r", f"__ns:={ns}", "--log-level", "debug"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
                            preexec_fn=_default_signals)
    try:
        while not _mapped(proc.pid, "_multiarray_umath") and proc.poll() is None:
            time.sleep(0.002)
        assert proc.poll() is None
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=60)  # a hang guard, not a timing assertion
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert not [n for n in NOISE if n in out], out


def test_every_node_executable_is_covered() -> None:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    scripts = dict(
        line.split(" = ") for line in cfg["options.entry_points"]["console_scripts"].strip().splitlines()
    )
    nodes = {name: target.split(":")[0] for name, target in scripts.items() if name != "action-recognition"}
    assert nodes == NODE_MODULES


def test_other_processes_keep_their_ctrl_c() -> None:
    """Importing the package in a program that is not a node leaves SIGINT to that program."""
    code = ("import signal, action_recognition\n"
            "print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         preexec_fn=_default_signals)
    assert out.stdout.strip() == "True", out.stderr
