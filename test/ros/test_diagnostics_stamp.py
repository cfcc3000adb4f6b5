"""A /diagnostics report's header stamp is the moment its counters were read, never later.

Readers that wait for "a report made after X" (bag eval's drain, the fault tests) compare that stamp
with their own clock. The action node stamped the report after reading the counters, so under load a
report read before a window was classified could carry a stamp after the reader saw that window's label
(seen once in test_action_node_faults: windows_classified_total 3 after the 4th label had arrived).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import rclpy
from random_model import save_random_model

from action_recognition.nodes.action_node import ActionNode


class _Watched:
    """The recognizer, noting when the diagnostics read its windows counter."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.read_ns: int | None = None

    def __getattr__(self, name: str) -> Any:
        if name == "windows_classified":
            self.read_ns = time.time_ns()
        return getattr(self._inner, name)


def test_action_node_report_is_stamped_when_its_counters_are_read(tmp_path: Path) -> None:
    model = save_random_model(tmp_path, ["sit", "stand"])
    assert not rclpy.ok()  # the node joins the default context, as in a node process
    rclpy.init(args=["--ros-args", "-r", f"__ns:=/diag_stamp_{os.getpid()}", "-p", f"model:={model}"])
    try:
        node = ActionNode()
        try:
            node.trigger_configure()
            assert node.recognizer is not None, node.setup_error
            watched = node.recognizer = _Watched(node.recognizer)
            sent: list = []
            node.diag_pub.publish = sent.append
            node._publish_diagnostics()
            stamp = sent[0].header.stamp
            stamp_ns = stamp.sec * 1_000_000_000 + stamp.nanosec
            assert watched.read_ns is not None
            assert stamp_ns <= watched.read_ns, f"stamped {stamp_ns - watched.read_ns} ns after the read"
        finally:
            node.recognizer = getattr(node.recognizer, "_inner", node.recognizer)
            node.stop()
            node.destroy_node()
    finally:
        rclpy.try_shutdown()
