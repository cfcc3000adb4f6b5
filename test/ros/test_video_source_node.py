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


def test_truncated_file_is_reported_with_counts(tmp_path: Path) -> None:
    """A cut file used to end with "end of video after N frames" at INFO, like a complete one."""
    from action_recognition.paths import demo_video

    data = demo_video().read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 10])
    params = [f"source:={cut}", "rate:=60.0", "width:=64"]
    rc, log, msgs, _ = run_source(tmp_path, f"/vs_{os.getpid()}/cut", *(x for p in params for x in ("-p", p)))
    assert rc == 0, log
    assert 0 < len(msgs) < 230
    assert f"only {len(msgs)} of the 230 frames its container declares could be decoded" in log, log
    assert "[WARN]" in log and "truncated or corrupt" in log


def test_frames_over_the_transport_segment_are_reported(video: Path, tmp_path: Path) -> None:
    """Images bigger than the shared-memory segment went out with no log at all (best-effort
    subscribers then got nothing). Here: Fast DDS's built-in 512 KiB segment, 640x480 bgr8 frames."""
    big = tmp_path / "vga.avi"
    writer = cv2.VideoWriter(str(big), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (640, 480))
    for i in range(3):
        writer.write(np.full((480, 640, 3), 40 * i, np.uint8))
    writer.release()
    env = {k: v for k, v in os.environ.items() if k != "FASTDDS_DEFAULT_PROFILES_FILE"}
    cmd = [sys.executable, "-m", "action_recognition.nodes.video_source_node", "--ros-args",
           "-r", f"image:=/vs_{os.getpid()}/big", "-p", f"source:={big}",
           "-p", "qos_reliability:=best_effort"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    warnings = [line for line in log.splitlines() if "shared-memory segment" in line and "[WARN]" in line]
    assert len(warnings) == 1, log  # once, not per frame
    assert "640x480 bgr8 is 0.9 MiB" in warnings[0] and "0.5 MiB" in warnings[0]
    assert "best_effort" in warnings[0]
    assert "3 of them over the transport's 0.5 MiB" in log


def test_transport_segment_is_read_from_the_profile(monkeypatch) -> None:
    from action_recognition.nodes.video_source_node import shm_segment
    from action_recognition.paths import config_dir

    monkeypatch.setenv("FASTDDS_DEFAULT_PROFILES_FILE", str(config_dir() / "fastdds_shm.xml"))
    assert shm_segment()[0] == 32 * 2**20
    monkeypatch.delenv("FASTDDS_DEFAULT_PROFILES_FILE")
    assert shm_segment() == (512 * 1024, "Fast DDS default")
