"""`action-recognition echo` (own process) prints what a publisher sends to /actions, a line per person."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import rclpy
from action_recognition.msg import Action, ActionArray
from builtin_interfaces.msg import Time


def test_echo_prints_a_line_per_person() -> None:
    topic = f"/echo_{os.getpid()}/actions"
    proc = subprocess.Popen(
        [sys.executable, "-m", "action_recognition.cli.main", "echo", "--topic", topic, "--count", "4",
         "--timeout", "60"],
        env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    node = rclpy.create_node("echo_test_publisher", context=ctx)
    pub = node.create_publisher(ActionArray, topic, 10)
    two = ActionArray(actions=[
        Action(track_id=7, class_id=1, label="walk", score=0.91, num_frames=48,
               bbox=[120.4, 40.0, 260.0, 399.6]),
        Action(track_id=3, class_id=-1, label="unknown", score=0.2, num_frames=12),
    ])
    two.header.stamp = Time(sec=12, nanosec=500_000_000)
    empty = ActionArray()
    try:
        end = time.monotonic() + 90
        while proc.poll() is None and time.monotonic() < end:  # until echo has seen 4 messages
            for msg in (two, empty):
                pub.publish(msg)
                time.sleep(0.1)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        node.destroy_node()
        rclpy.shutdown(context=ctx)
    assert proc.returncode == 0, err
    lines = out.splitlines()
    assert "12.500  id   3  unknown        0.20  (12 frames)" in lines
    walk = "12.500  id   7  walk           0.91  (48 frames)  box 120,40-260,400"  # Action.bbox, rounded
    assert walk in lines
    assert lines.index("12.500  id   3  unknown        0.20  (12 frames)") < lines.index(walk)  # by track id
    assert any(line.endswith("(nobody)") for line in lines)
