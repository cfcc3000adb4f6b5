"""Test-side ROS plumbing for the action node tests: a client node, the node process, messages."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import rclpy
from action_recognition.msg import ActionArray, Keypoint, LabelMap, Skeleton, SkeletonArray
from builtin_interfaces.msg import Time
from rclpy.qos import QoSProfile, ReliabilityPolicy
from std_msgs.msg import Header

from action_recognition.nodes.qos import label_map_qos
from action_recognition.recognition import PersonFrame

RELIABLE = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
IMAGE_QOS = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)


def frames_to_msg(
    stamp_ns: int, people: Sequence[PersonFrame], width: int = 640, height: int = 480, layout: str = "coco"
) -> SkeletonArray:
    """A SkeletonArray of 2D people (coords (V, 2) in pixels, scores (V,)) stamped `stamp_ns`."""
    msg = SkeletonArray(
        header=Header(stamp=Time(sec=stamp_ns // 10**9, nanosec=stamp_ns % 10**9), frame_id="cam"),
        image_width=int(width),
        image_height=int(height),
        layout=layout,
    )
    for p in people:
        sk = Skeleton(track_id=int(p.track_id), layout=layout, bbox=[0.0, 0.0, 10.0, 10.0], bbox_score=0.9)
        coords = np.asarray(p.coords, dtype=np.float64)
        sk.keypoints = [
            Keypoint(x=float(x), y=float(y), score=float(s))
            for (x, y), s in zip(coords[:, :2], np.asarray(p.scores, dtype=np.float64), strict=True)
        ]
        msg.skeletons.append(sk)
    return msg


class ContextNode:
    """A test-side node in an rclpy context of its own, with its executor; close() ends all three."""

    def __init__(self, name: str) -> None:
        self.ctx = rclpy.Context()
        rclpy.init(context=self.ctx)
        self.node = rclpy.create_node(name, context=self.ctx)
        self.executor = rclpy.executors.SingleThreadedExecutor(context=self.ctx)
        self.executor.add_node(self.node)

    def spin_until(self, cond: Callable[[], bool], timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end and not cond():
            self.executor.spin_once(timeout_sec=0.05)
        return cond()

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.shutdown(context=self.ctx)


class Client(ContextNode):
    """Test-side node in its own context: publishes SkeletonArrays, records actions and the label map."""

    def __init__(self, ns: str) -> None:
        super().__init__("action_test_client")
        self.pub = self.node.create_publisher(SkeletonArray, f"{ns}/skeletons", RELIABLE)
        self.actions: list[ActionArray] = []
        self.label_maps: list[LabelMap] = []
        self.actions_sub = self.node.create_subscription(
            ActionArray, f"{ns}/actions", self.actions.append, RELIABLE
        )
        self.node.create_subscription(LabelMap, f"{ns}/label_map", self.label_maps.append, label_map_qos())

    def send(self, frame: int, people: dict[int, np.ndarray], layout: str = "coco") -> None:
        """Publish frame number `frame` (30 Hz stamps); people: track id -> (V, 3) x, y, score."""
        persons = [PersonFrame(tid, kp[:, :2], kp[:, 2]) for tid, kp in people.items()]
        self.pub.publish(frames_to_msg(frame * 33_333_333, persons, layout=layout))
        self.executor.spin_once(timeout_sec=0.005)

    def actions_for(self, tid: int) -> list:
        return [a for arr in self.actions for a in arr.actions if a.track_id == tid]


def start_node(ns: str, *params: str, cwd: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "action_recognition.nodes.action_node", "--ros-args", "-r", f"__ns:={ns}"]
    for p in params:
        cmd += ["-p", p]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd)


def stop(proc: subprocess.Popen) -> str:
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


class ImageStreamer(ContextNode):
    """Publishes zidane.jpg (640x360, bgr8) on `<ns>/image` every 0.1 s while waiting, and records the
    SkeletonArrays on `<ns>/skeletons` (pose node tests)."""

    def __init__(self, ns: str) -> None:
        import cv2
        from sensor_msgs.msg import Image
        from ultralytics.utils import ASSETS

        super().__init__("image_streamer")
        self.pub = self.node.create_publisher(Image, f"{ns}/image", IMAGE_QOS)
        self.got: list[SkeletonArray] = []
        self.node.create_subscription(SkeletonArray, f"{ns}/skeletons", self.got.append, 10)
        image = cv2.resize(cv2.imread(str(ASSETS / "zidane.jpg")), (640, 360))
        self.msg = Image(header=Header(frame_id="cam"), height=image.shape[0], width=image.shape[1],
                         encoding="bgr8", step=image.strides[0], data=image.tobytes())
        self.n = 0

    def stream_until(self, cond: Callable[[], bool], timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end and not cond():
            self.n += 1
            self.msg.header.stamp.sec = self.n
            self.pub.publish(self.msg)
            self.executor.spin_once(timeout_sec=0.1)
        return cond()
