"""The video source node in its own process: frames, rate, stamps, loop, clean end, fatal errors."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy")
from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402

FPS, N, W, H = 12.0, 18, 64, 48


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    """Frame i has every pixel = 10 * i in blue only, so order and channel order can be checked."""
    path = tmp_path_factory.mktemp("video") / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (W, H))
    for i in range(N):
        frame = np.zeros((H, W, 3), np.uint8)
        frame[:, :, 0] = 10 * i
        writer.write(frame)
    writer.release()
    return path


def run_source(tmp_path: Path, topic: str, *args: str, timeout: float = 60) -> tuple[int, str, list, list]:
    """Start the node, record (message, arrival time) until it exits; return rc, log, msgs, times."""
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    node = rclpy.create_node("video_test_client", context=ctx)
    ex = rclpy.executors.SingleThreadedExecutor(context=ctx)
    ex.add_node(node)
    msgs: list[Image] = []
    times: list[float] = []

    def on_image(m: Image) -> None:
        msgs.append(m)
        times.append(time.monotonic())

    qos = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
    node.create_subscription(Image, topic, on_image, qos)
    cmd = [sys.executable, "-m", "action_recognition.nodes.video_source_node", "--ros-args",
           "-r", f"image:={topic}", "-p", "wait_for_subscribers:=1", *args]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=os.environ.copy(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        end = time.monotonic() + timeout
        while proc.poll() is None and time.monotonic() < end:
            ex.spin_once(timeout_sec=0.02)
        for _ in range(20):  # collect anything still in flight
            ex.spin_once(timeout_sec=0.02)
        if proc.poll() is None:
            proc.kill()
        out = proc.communicate()[0]
        return proc.returncode, out, msgs, times
    finally:
        ex.shutdown()
        node.destroy_node()
        rclpy.shutdown(context=ctx)


def test_publishes_every_frame_at_file_rate_then_stops(video: Path, tmp_path: Path) -> None:
    rc, log, msgs, times = run_source(tmp_path, f"/vs_{os.getpid()}/a", "-p", f"source:={video}",
                                      "-p", "frame_id:=cam_x")
    assert rc == 0, log
    assert f"end of video after {N} frames" in log
    assert len(msgs) == N
    blues = [int(np.frombuffer(bytes(m.data), np.uint8).reshape(H, W, 3)[:, :, 0].mean() / 10 + 0.5)
             for m in msgs]
    assert blues == list(range(N))
    assert all(m.encoding == "bgr8" and (m.width, m.height, m.step) == (W, H, W * 3) for m in msgs)
    assert all(m.header.frame_id == "cam_x" for m in msgs)
    stamps = np.array([m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 for m in msgs])
    np.testing.assert_allclose(np.diff(stamps), 1 / FPS, atol=1e-6)  # media time, not jittery wall time
    assert abs(stamps[0] - time.time()) < 120  # stamps are on the ROS clock, not media time from zero
    span = times[-1] - times[0]
    assert (N - 1) / FPS * 0.8 < span < (N - 1) / FPS * 3  # paced at the file's rate, not dumped at once


def test_loop_rate_encoding_and_resize(video: Path, tmp_path: Path) -> None:
    n = N + 7
    params = [f"source:={video}", "loop:=true", "rate:=40.0", f"max_frames:={n}"]
    params += ["encoding:=rgb8", "width:=32"]
    rc, log, msgs, _ = run_source(tmp_path, f"/vs_{os.getpid()}/b", *(x for p in params for x in ("-p", p)))
    assert rc == 0, log
    assert len(msgs) == n
    assert all((m.width, m.height, m.encoding) == (32, 24, "rgb8") for m in msgs)
    # rgb8: the blue value sits in the third byte; the loop restarts at frame 0.
    blues = [int(np.frombuffer(bytes(m.data), np.uint8).reshape(24, 32, 3)[:, :, 2].mean() / 10 + 0.5)
             for m in msgs]
    assert blues == list(range(N)) + list(range(n - N))
    stamps = np.array([m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 for m in msgs])
    np.testing.assert_allclose(np.diff(stamps), 1 / 40.0, atol=1e-6)


def test_missing_file_is_fatal(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "action_recognition.nodes.video_source_node", "--ros-args",
                           "-p", f"source:={tmp_path / 'nope.mp4'}"], cwd=tmp_path, env=os.environ.copy(),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "video file not found" in proc.stdout + proc.stderr
