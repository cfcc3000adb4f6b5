"""A Ctrl-C while a managed node is being built must not turn the shutdown into a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest
import rclpy
from rclpy.lifecycle.node import LifecycleNodeMixin

from action_recognition import dds_shm
from action_recognition.nodes.lifecycle import ManagedNode


def test_shutdown_destroys_a_node_interrupted_before_its_state_machine(monkeypatch) -> None:
    # rclpy registers the node with the context before the lifecycle part exists; a signal in between
    # left try_shutdown() raising AttributeError '_state_machine' (seen under load in test_node_shutdown).
    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(LifecycleNodeMixin, "__init__", interrupted)
    assert not rclpy.ok()  # the node joins the default context, as in a node process
    rclpy.init()
    try:
        node = ManagedNode.__new__(ManagedNode)  # kept alive, as the interrupted frame keeps it in a node
        with pytest.raises(KeyboardInterrupt):
            node.__init__("half_built", [])
    finally:
        rclpy.try_shutdown()  # destroys the half-built node: must not raise
    assert not rclpy.ok()


# A node process that is stopped while run_node is still building its node. The signal lands inside
# a finalizer, where an exception cannot reach run_node: as it did inside importlib's module-lock
# weakref callback (a lazy import in a node's constructor) in test_node_shutdown under load.
_STOPPED_IN_A_FINALIZER = """
import os, signal, sys
from rclpy.node import Node
from action_recognition import dds_shm
from action_recognition.nodes.run import run_node

class StopsWhenCollected:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)
        sum(range(1000))  # the handler runs here, inside the finalizer

def make():
    node = Node("stopped_while_built")
    print("segments", " ".join(sorted(dds_shm.own_segments())), flush=True)
    StopsWhenCollected()
    print("construction went on", flush=True)
    return node

run_node(make, "stopped_while_built", until=lambda node: True)
"""


def test_a_stop_while_the_node_is_built_ends_it_at_once_and_quietly(tmp_path) -> None:
    run = subprocess.run([sys.executable, "-c", _STOPPED_IN_A_FINALIZER], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    out = run.stdout + run.stderr
    # Before: "Exception ignored in: <function StopsWhenCollected.__del__>" with a traceback, and the
    # node was built and spun as if no stop had come.
    assert run.returncode == 0, out
    assert "Traceback" not in out and "Exception ignored" not in out, out
    assert "construction went on" not in out, out
    owned = run.stdout.split("segments", 1)[1].split("\n", 1)[0].split()
    assert owned, f"the node held no Fast DDS segment: is shared memory off?\n{out}"
    # Ended with os._exit, so the participant was not destroyed: its segments must be removed anyway.
    left = [n for n in owned if (dds_shm.SHM_DIR / n).exists()
            or (dds_shm.SHM_DIR / (n + dds_shm.LOCK_SUFFIX)).exists()]
    assert not left, left
