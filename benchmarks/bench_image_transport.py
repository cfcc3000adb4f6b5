"""sensor_msgs/Image delivery between two processes: frames lost and latency, per transport and QoS.

    .venv/bin/python benchmarks/bench_image_transport.py                 # full table
    .venv/bin/python benchmarks/bench_image_transport.py --sizes 640x480 --count 60

Each case starts a fresh subscriber and a fresh publisher process (Fast DDS reads its XML profile
once per process), publishes `count` rgb8 frames at `rate` Hz and reports received / lost frames
and the publish -> callback latency. "shm32" sets FASTDDS_DEFAULT_PROFILES_FILE to
config/fastdds_shm.xml in both processes; "default" leaves Fast DDS's built-in transports.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "config" / "fastdds_shm.xml"
TOPIC = "bench_image"


def _qos(reliability: str):
    from rclpy.qos import QoSProfile, ReliabilityPolicy

    rel = ReliabilityPolicy.RELIABLE if reliability == "reliable" else ReliabilityPolicy.BEST_EFFORT
    return QoSProfile(depth=10, reliability=rel)


def run_pub(args: argparse.Namespace) -> None:
    import numpy as np
    import rclpy
    from sensor_msgs.msg import Image

    rclpy.init()
    node = rclpy.create_node("bench_pub")
    pub = node.create_publisher(Image, TOPIC, _qos(args.reliability))
    w, h = args.size
    data = np.random.default_rng(0).integers(0, 256, (h, w, 3), np.uint8).tobytes()
    end = time.monotonic() + 20
    while pub.get_subscription_count() == 0 and time.monotonic() < end:
        rclpy.spin_once(node, timeout_sec=0.05)
    time.sleep(0.5)  # let the reader finish matching the writer too
    t0 = time.monotonic()
    for i in range(args.count):
        msg = Image(height=h, width=w, encoding="rgb8", step=w * 3)
        msg.data = data
        now = time.time_ns()
        msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(now, 1_000_000_000)
        msg.header.frame_id = str(i)
        pub.publish(msg)
        time.sleep(max(0.0, t0 + (i + 1) / args.rate - time.monotonic()))
    time.sleep(1.0)  # reliable writers resend from their history meanwhile
    node.destroy_node()
    rclpy.shutdown()


def run_sub(args: argparse.Namespace) -> None:
    import rclpy
    from sensor_msgs.msg import Image

    rclpy.init()
    node = rclpy.create_node("bench_sub")
    lat: list[float] = []
    seen: set[int] = set()

    def on_image(msg: Image) -> None:
        lat.append((time.time_ns() - msg.header.stamp.sec * 1_000_000_000 - msg.header.stamp.nanosec) / 1e6)
        seen.add(int(msg.header.frame_id))

    node.create_subscription(Image, TOPIC, on_image, _qos(args.reliability))
    deadline = time.monotonic() + 25 + args.count / args.rate
    last = None
    while time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.05)
        if lat and last != len(lat):
            last, quiet_since = len(lat), time.monotonic()
        if lat and time.monotonic() - quiet_since > 2.5:
            break
    lat.sort()
    print(json.dumps({
        "received": len(seen),
        "median_ms": lat[len(lat) // 2] if lat else None,
        "p95_ms": lat[int(len(lat) * 0.95)] if lat else None,
    }))
    node.destroy_node()
    rclpy.shutdown()


def run_case(size: tuple[int, int], transport: str, reliability: str, count: int, rate: float) -> dict:
    env = os.environ.copy()
    env.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    env["ROS_DOMAIN_ID"] = str(random.randint(101, 200))  # a fresh domain per case
    env.pop("FASTDDS_DEFAULT_PROFILES_FILE", None)
    if transport == "shm32":
        env["FASTDDS_DEFAULT_PROFILES_FILE"] = str(PROFILE)
    cmd = [sys.executable, __file__, f"--size={size[0]}x{size[1]}", f"--reliability={reliability}"]
    cmd += [f"--count={count}", f"--rate={rate}"]
    sub = subprocess.Popen([*cmd, "--role=sub"], env=env, stdout=subprocess.PIPE, text=True, cwd="/tmp")
    pub = subprocess.Popen([*cmd, "--role=pub"], env=env, cwd="/tmp")
    pub.wait()
    out, _ = sub.communicate()
    result = json.loads(out.strip().splitlines()[-1])
    result["lost_pct"] = 100.0 * (count - result["received"]) / count
    return result


def parse_size(text: str) -> tuple[int, int]:
    w, h = text.lower().split("x")
    return int(w), int(h)


def main() -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=fmt)
    parser.add_argument("--role", choices=("main", "pub", "sub"), default="main")
    parser.add_argument("--size", type=parse_size, default=(640, 480))
    parser.add_argument("--sizes", default="640x480,1280x720,1768x994")
    parser.add_argument("--reliability", default="best_effort")
    parser.add_argument("--count", type=int, default=150)
    parser.add_argument("--rate", type=float, default=30.0)
    args = parser.parse_args()
    if args.role == "pub":
        return run_pub(args)
    if args.role == "sub":
        return run_sub(args)
    print(f"# {platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"{time.strftime('%Y-%m-%d')}, {args.count} frames at {args.rate:g} Hz, rgb8")
    print("| image | transport | QoS | received | lost | median latency | p95 latency |")
    print("|---|---|---|---|---|---|---|")
    for size in map(parse_size, args.sizes.split(",")):
        for transport in ("default", "shm32"):
            for reliability in ("best_effort", "reliable"):
                r = run_case(size, transport, reliability, args.count, args.rate)
                med = f"{r['median_ms']:.1f} ms" if r["median_ms"] is not None else "-"
                p95 = f"{r['p95_ms']:.1f} ms" if r["p95_ms"] is not None else "-"
                print(f"| {size[0]}x{size[1]} | {transport} | {reliability} | {r['received']}/{args.count} | "
                      f"{r['lost_pct']:.0f}% | {med} | {p95} |", flush=True)


if __name__ == "__main__":
    main()
