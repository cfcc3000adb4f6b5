"""A typical camera driver (reliable 640x480 images, no shared-memory profile) reaches the pose node with
default parameters: `qos_reliability: auto` subscribes reliably. With the former default (best effort)
0 of 60 such frames arrived on Fast DDS's default transport (issue 14).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy")
from rclpy.duration import Duration  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402

FRAMES = 60


def test_reliable_camera_without_shm_profile_reaches_default_pose_node(
    installed_pose_assets, tmp_path, monkeypatch
) -> None:
    monkeypatch.delenv("FASTDDS_DEFAULT_PROFILES_FILE", raising=False)  # the camera side has none either
    ns = f"/pose_qos_{os.getpid()}_{time.monotonic_ns() % 100000}"
    env = {k: v for k, v in os.environ.items() if k != "FASTDDS_DEFAULT_PROFILES_FILE"}
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    node = rclpy.create_node("camera_driver", context=ctx)
    ex = SingleThreadedExecutor(context=ctx)
    ex.add_node(node)
    # A camera driver's usual profile: reliable, keep last (here deep enough to hold every frame).
    camera_qos = QoSProfile(depth=FRAMES, reliability=ReliabilityPolicy.RELIABLE)
    pub = node.create_publisher(Image, f"{ns}/image", camera_qos)
    pose = subprocess.Popen(
        [sys.executable, "-m", "action_recognition.nodes.pose_node", "--ros-args", "-r", f"__ns:={ns}"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )

    def spin_until(cond, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while not cond() and time.monotonic() < end and pose.poll() is None:
            ex.spin_once(timeout_sec=0.05)
        return cond()

    def subscribed_reliably() -> bool:
        infos = node.get_subscriptions_info_by_topic(f"{ns}/image")
        return [i.qos_profile.reliability for i in infos] == [ReliabilityPolicy.RELIABLE]

    try:
        assert spin_until(subscribed_reliably, 90), "the pose node did not subscribe reliably (auto)"
        frame = np.random.default_rng(0).integers(0, 256, 640 * 480 * 3, dtype=np.uint8).tobytes()
        for k in range(FRAMES):
            msg = Image(height=480, width=640, encoding="bgr8", step=640 * 3, data=frame)
            msg.header.stamp.sec, msg.header.frame_id = 1000 + k, "camera"
            pub.publish(msg)
            spin_until(lambda: False, 0.1)  # 10 Hz
        # Reliable delivery: wait until the subscriber acknowledged every frame.
        assert pub.wait_for_all_acked(Duration(seconds=30))
    finally:
        ex.shutdown()
        node.destroy_node()
        rclpy.shutdown(context=ctx)
        if pose.poll() is None:
            pose.send_signal(2)
        output = pose.communicate(timeout=30)[0]
    assert pose.returncode == 0 and "Traceback" not in output, output[-3000:]
    received = int(re.search(r"stopped: (\d+) images received", output).group(1))
    # Every frame was delivered; the node's keep-last input (depth 5) could overwrite one only if its
    # executor stalled for half a second.
    assert received >= FRAMES - 5, f"the pose node received {received}/{FRAMES} frames\n{output[-3000:]}"
