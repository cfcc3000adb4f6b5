"""How long the pose and action nodes take to exit after SIGINT / SIGTERM while they are inferring.

    .venv/bin/python benchmarks/bench_node_shutdown.py [--runs 3]

Each run starts the node in its own process, streams input until results come back (so the worker is
mid-inference when the signal lands: the pose node gets a 640x360 image every 0.1 s at imgsz 320, the
action node 10 tracks per frame at 30 Hz with stride_s 0), sends the signal and measures the time
until the process has exited. The target is < 2 s (issues 13/14). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import rclpy
from action_recognition.msg import ActionArray, Keypoint, Skeleton, SkeletonArray
from builtin_interfaces.msg import Time
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image
from std_msgs.msg import Header

RELIABLE = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)


def _image_msg() -> Image:
    from ultralytics.utils import ASSETS

    image = cv2.resize(cv2.imread(str(ASSETS / "zidane.jpg")), (640, 360))
    return Image(header=Header(frame_id="cam"), height=360, width=640, encoding="bgr8",
                 step=image.strides[0], data=image.tobytes())


def _skeletons_msg(frame: int) -> SkeletonArray:
    rng = np.random.default_rng(frame)
    ns = frame * 33_333_333
    msg = SkeletonArray(header=Header(stamp=Time(sec=ns // 10**9, nanosec=ns % 10**9), frame_id="cam"),
                        image_width=640, image_height=480, layout="coco")
    for tid in range(10):
        xy = 100 + 30 * tid + rng.normal(0, 3, (17, 2))
        keypoints = [Keypoint(x=float(x), y=float(y), score=0.9) for x, y in xy]
        msg.skeletons.append(Skeleton(track_id=tid, layout="coco", bbox=[0.0, 0.0, 10.0, 10.0],
                                      bbox_score=0.9, keypoints=keypoints))
    return msg


def one_run(kind: str, sig: int, ctx: rclpy.Context, run: int) -> float:
    ns = f"/bench_shutdown_{os.getpid()}_{run}"
    module = f"action_recognition.nodes.{kind}_node"
    args = ["-p", "imgsz:=320"] if kind == "pose" else ["-p", "stride_s:=0.0"]
    proc = subprocess.Popen([sys.executable, "-m", module, "--ros-args", "-r", f"__ns:={ns}",
                             "-p", "qos_reliability:=reliable", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    node = rclpy.create_node(f"bench_shutdown_{run}", context=ctx)
    executor = rclpy.executors.SingleThreadedExecutor(context=ctx)
    executor.add_node(node)
    got: list = []
    if kind == "pose":
        pub = node.create_publisher(Image, f"{ns}/image", RELIABLE)
        node.create_subscription(SkeletonArray, f"{ns}/skeletons", got.append, 10)
        image = _image_msg()
    else:
        pub = node.create_publisher(SkeletonArray, f"{ns}/skeletons", RELIABLE)
        node.create_subscription(ActionArray, f"{ns}/actions", got.append, 10)
    try:
        frame = 0
        while len(got) < 3 and proc.poll() is None:
            frame += 1
            if kind == "pose":
                image.header.stamp.sec = frame
                pub.publish(image)
                executor.spin_once(timeout_sec=0.1)
            else:
                pub.publish(_skeletons_msg(frame))
                executor.spin_once(timeout_sec=1 / 30)
        start = time.monotonic()
        proc.send_signal(sig)
        while proc.poll() is None:  # keep the input coming: a stop under load
            if kind == "pose":
                pub.publish(image)
            executor.spin_once(timeout_sec=0.01)
        elapsed = time.monotonic() - start
        if proc.returncode != 0:
            raise RuntimeError(f"{kind} node exited with {proc.returncode}")
        return elapsed
    finally:
        executor.shutdown()
        node.destroy_node()
        if proc.poll() is None:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    a = parser.parse_args()
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    print("| node | signal | runs | exit time min / median / max (s) |\n| --- | --- | --- | --- |")
    run = 0
    for kind in ("pose", "action"):
        for sig in (signal.SIGINT, signal.SIGTERM):
            times = []
            for _ in range(a.runs):
                run += 1
                times.append(one_run(kind, sig, ctx, run))
            print(f"| {kind}_node | {signal.Signals(sig).name} | {a.runs} | "
                  f"{min(times):.2f} / {float(np.median(times)):.2f} / {max(times):.2f} |", flush=True)
    rclpy.shutdown(context=ctx)


if __name__ == "__main__":
    main()
