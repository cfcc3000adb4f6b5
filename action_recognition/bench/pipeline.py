"""Frame -> action through the whole pipeline: the pose node and the action node as processes.

The bench publishes camera frames (the demo video) at the camera rate; the pose node (on the node
core) turns them into SkeletonArrays, the action node (on the same core) into ActionArrays stamped
with the frame they end on. Latency = receiving an ActionArray - publishing the image with its stamp.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from action_recognition.bench.nodes import BenchClient, memory_mb, percentile, start_node, stop_node, wait_for


def run_pipeline(backend: str, imgsz: int, frames: np.ndarray, rate: float, node_cpus: set[int],
                 client_cpus: set[int], logs: Path) -> dict[str, Any]:
    from builtin_interfaces.msg import Time
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import Image
    from std_msgs.msg import Header

    from action_recognition.msg import ActionArray, SkeletonArray
    from action_recognition.nodes.convert import bgr_to_image

    ns = f"/bench_pipeline_{os.getpid()}"
    pose = start_node("action_recognition.nodes.pose_node", ns,
                      {"backend": backend, "imgsz": imgsz, "threads": 1, "qos_reliability": "reliable"},
                      cpus=node_cpus, log=logs / "pipeline_pose.log")
    action = start_node("action_recognition.nodes.action_node", ns,
                        {"threads": 1, "qos_reliability": "reliable", "qos_depth": 100},
                        cpus=node_cpus, log=logs / "pipeline_action.log")
    client = BenchClient("bench_pipeline_client", client_cpus)
    node, spin = client.node, client.spin
    qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
    pub = node.create_publisher(Image, f"{ns}/image", qos)
    sent_at: dict[int, float] = {}
    latencies: list[float] = []
    skeleton_msgs: list[int] = []

    def on_actions(msg: ActionArray) -> None:
        stamp = msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec
        if msg.actions and stamp in sent_at:
            latencies.append((time.perf_counter() - sent_at[stamp]) * 1e3)

    sub = node.create_subscription(ActionArray, f"{ns}/actions", on_actions, qos)
    node.create_subscription(SkeletonArray, f"{ns}/skeletons", lambda m: skeleton_msgs.append(1), qos)

    try:
        def ready() -> bool:
            return pub.get_subscription_count() > 0 and sub.get_publisher_count() > 0

        if not wait_for(ready, 300, spin) or pose.poll() is not None or action.poll() is not None:
            raise RuntimeError(f"the pipeline did not start (logs in {logs})")
        wait_for(lambda: False, 1.0, spin)
        images = [bgr_to_image(f, Header()) for f in frames]  # converted before timing starts
        period = 1.0 / rate
        next_t = time.perf_counter()
        for i, msg in enumerate(images):
            stamp = round((i + 1) * 1e9 / rate)
            msg.header = Header(stamp=Time(sec=stamp // 10**9, nanosec=stamp % 10**9), frame_id="cam")
            sent_at[stamp] = time.perf_counter()
            pub.publish(msg)
            next_t += period
            while (left := next_t - time.perf_counter()) > 0:
                spin(left)
        wait_for(lambda: False, 2.0, spin)
        return {
            "pose_backend": backend, "imgsz": imgsz, "frames_sent": len(images),
            "frames_through_pose": len(skeleton_msgs),
            "labelled_frames": len(latencies),
            "latency_ms_p50": percentile(latencies, 50), "latency_ms_p95": percentile(latencies, 95),
            "pose_node": memory_mb(pose.pid), "action_node": memory_mb(action.pid),
        }
    finally:
        client.close()
        stop_node(pose)
        stop_node(action)
