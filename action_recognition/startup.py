"""A node process stopped while it is still starting ends quietly (stdlib only: runs before any import).

A node spends its first second or so importing numpy, rclpy and ONNX Runtime before `run_node`
(nodes/run.py) installs its own stop handling. A Ctrl-C in that time (a terminal's Ctrl-C reaches every
process of `ros2 launch`) printed Python's KeyboardInterrupt traceback. The package's `__init__`
calls `quiet_until_started()`: in a node process (`python -m <node module>` or a node executable,
`ros2 run`) SIGINT and SIGTERM then end the process at once with status 0, as a stop during
`run_node`'s own startup does, until `run_node` takes over. Any other process importing the package
(the CLI, tests, user code) is left alone.

Not covered: a signal before the interpreter reaches this package (its own start-up and `site`,
where the ros-wheels bootstrapper of a PyPI install re-executes Python: about 0.1 s).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

# Keep equal to the node executables of setup.cfg / CMakeLists.txt (test/ros/test_node_shutdown.py checks).
NODE_MODULES: dict[str, str] = {
    "pose_node": "action_recognition.nodes.pose_node",
    "video_source_node": "action_recognition.nodes.video_source_node",
    "action_node": "action_recognition.nodes.action_node",
    "demo_recorder": "action_recognition.launching.demo_recorder",
    "annotator": "action_recognition.nodes.annotator_node",
}


def started_program() -> str | None:
    """The node module this process was started to run, or None (not a node process)."""
    if not sys.argv:
        return None
    if sys.argv[0] == "-m":  # python -m <module>: its parent packages are being imported
        argv = getattr(sys, "orig_argv", [])
        for i, arg in enumerate(argv[1:], 1):
            if arg == "-m" and i + 1 < len(argv):
                module = argv[i + 1]
                return module if module in NODE_MODULES.values() else None
            if arg.startswith("-m"):  # -mmodule
                return arg[2:] if arg[2:] in NODE_MODULES.values() else None
        return None
    return NODE_MODULES.get(Path(sys.argv[0]).name)  # a node executable (entry point script)


def _stop_now(signum: int, frame: object) -> None:
    os._exit(0)


def quiet_until_started() -> None:
    if started_program() is None:
        return
    # Also when started with SIGINT ignored (a background job of a script): run_node handles it later
    # anyway, so a stop sent during the imports must not be lost.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _stop_now)
