"""How many tracks x Hz the action node keeps up with, and what it adds beyond the forward pass.

    .venv/bin/python benchmarks/bench_action_node.py [--model M.pth] [--tracks 1 5 10 20] [--seconds 6]

Part 1 drives the recognition core (no DDS) with N tracks at 30 Hz, stride 5, one thread: time per
frame, forward time per round, and the highest frame rate it sustains. Part 2 runs the action node
in its own process and publishes SkeletonArrays at 30 Hz over DDS: latency from publishing a frame
to receiving the ActionArray stamped with that frame (p50/p95), minus the core's forward time for
the same batch = what the node adds. Tables are printed as Markdown.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from action_recognition import paths
from action_recognition.model import ModelSpec, build_model, save_checkpoint
from action_recognition.recognition import ActionRecognizer, PersonFrame, RecognizerConfig, load_action_model

HZ = 30.0
STRIDE = 5  # frames of the 30 Hz input (passed as seconds: stride_s)


def bench_model(path: str | None) -> Path:
    if path:
        return Path(path)
    if paths.default_action_model().is_file():
        return paths.default_action_model()
    # No trained model yet: a random one of the default model's shape times the same.
    spec = ModelSpec(layout="coco", num_classes=10, class_names=[f"c{i}" for i in range(10)], clip_len=48)
    out = Path(tempfile.mkdtemp()) / "model.pth"
    return save_checkpoint(out, build_model(spec), spec)


def person(tid: int, frame: int) -> PersonFrame:
    rng = np.random.default_rng(tid * 100_003 + frame)
    xy = 300 + 30 * tid + rng.normal(0, 5, (17, 2))
    return PersonFrame(tid, xy.astype(np.float32), rng.uniform(0.3, 1, 17).astype(np.float32))


def bench_core(model_path: Path, n_tracks: int, seconds: float) -> dict[str, float]:
    model = load_action_model(model_path, threads=1)
    rec = ActionRecognizer(model.backend, model.spec, model.labels, RecognizerConfig(stride_s=STRIDE / 30))
    frames = int(seconds * HZ)
    # Fill the windows first so every measured round classifies full windows.
    warm = rec.config.window
    per_frame, rounds = [], []
    for f in range(warm + frames):
        persons = [person(t, f) for t in range(n_tracks)]
        start = time.perf_counter()
        rec.add_frame(int(f * 1e9 / HZ), persons, (1280, 720))
        results = rec.step()
        elapsed = (time.perf_counter() - start) * 1e3
        if f >= warm:
            per_frame.append(elapsed)
            if results:
                rounds.append(elapsed)
    total_s = sum(per_frame) / 1e3
    return {
        "frame_ms_mean": float(np.mean(per_frame)),
        "round_ms_p50": float(np.percentile(rounds, 50)) if rounds else float("nan"),
        "round_ms_p95": float(np.percentile(rounds, 95)) if rounds else float("nan"),
        "max_hz": frames / total_s,
    }


def bench_node(model_path: Path, n_tracks: int, seconds: float) -> dict[str, float]:
    import rclpy
    from action_recognition.msg import ActionArray, Keypoint, Skeleton, SkeletonArray
    from builtin_interfaces.msg import Time
    from rclpy.qos import QoSProfile, ReliabilityPolicy

    ns = f"/bench_{os.getpid()}_{n_tracks}"
    node = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "action_recognition.nodes.action_node",
            "--ros-args",
            "-r",
            f"__ns:={ns}",
            "-p",
            f"model:={model_path}",
            "-p",
            f"stride_s:={STRIDE / 30}",
            "-p",
            "threads:=1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    client = rclpy.create_node("bench_client", context=ctx)
    executor = rclpy.executors.SingleThreadedExecutor(context=ctx)
    executor.add_node(client)
    qos = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
    pub = client.create_publisher(SkeletonArray, f"{ns}/skeletons", qos)
    sent_at: dict[int, float] = {}
    latencies: list[float] = []

    def on_actions(msg: ActionArray) -> None:
        key = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec
        if key in sent_at and msg.actions:
            latencies.append((time.perf_counter() - sent_at[key]) * 1e3)

    sub = client.create_subscription(ActionArray, f"{ns}/actions", on_actions, qos)
    deadline = time.monotonic() + 60
    while (
        pub.get_subscription_count() == 0 or sub.get_publisher_count() == 0
    ) and time.monotonic() < deadline:
        executor.spin_once(timeout_sec=0.05)
    time.sleep(1.0)  # model loaded and matched both ways
    period = 1.0 / HZ
    frames = int(seconds * HZ) + 48
    next_t = time.perf_counter()
    for f in range(frames):
        stamp = int(f * 1e9 / HZ)
        msg = SkeletonArray(layout="coco", image_width=1280, image_height=720)
        msg.header.stamp = Time(sec=stamp // 1_000_000_000, nanosec=stamp % 1_000_000_000)
        for t in range(n_tracks):
            p = person(t, f)
            sk = Skeleton(track_id=t, layout="coco", bbox=[0.0, 0.0, 1.0, 1.0], bbox_score=1.0)
            sk.keypoints = [
                Keypoint(x=float(x), y=float(y), score=float(s))
                for (x, y), s in zip(p.coords, p.scores, strict=True)
            ]
            msg.skeletons.append(sk)
        sent_at[stamp] = time.perf_counter()
        pub.publish(msg)
        next_t += period
        while time.perf_counter() < next_t:
            executor.spin_once(timeout_sec=max(0.0, next_t - time.perf_counter()))
    end = time.monotonic() + 3
    while time.monotonic() < end:
        executor.spin_once(timeout_sec=0.05)
    node.terminate()
    node.wait(timeout=10)
    executor.shutdown()
    rclpy.shutdown(context=ctx)
    return {
        "latency_ms_p50": float(np.percentile(latencies, 50)) if latencies else float("nan"),
        "latency_ms_p95": float(np.percentile(latencies, 95)) if latencies else float("nan"),
        "rounds": len(latencies),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", help="action model (default: the shipped default model)")
    parser.add_argument("--tracks", type=int, nargs="+", default=[1, 5, 10, 20])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--skip-node", action="store_true", help="only the core (no DDS)")
    args = parser.parse_args()
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    os.environ.setdefault("ROS_DOMAIN_ID", str(random.randint(101, 200)))
    torch.set_num_threads(1)
    model_path = bench_model(args.model)
    spec = load_action_model(model_path).spec
    print(
        f"model {model_path} (clip_len {spec.clip_len}, {spec.num_classes} classes), stride {STRIDE}, "
        f"{HZ:.0f} Hz input, 1 thread, {os.cpu_count()} CPUs, torch {torch.__version__}\n"
    )
    print(
        "| tracks | core ms/frame (mean) | round ms p50 | round ms p95 | core max Hz | keeps 30 Hz "
        "| node latency p50 | node latency p95 | node adds (p95 - round p95) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for n in args.tracks:
        core = bench_core(model_path, n, args.seconds)
        node = {"latency_ms_p50": float("nan"), "latency_ms_p95": float("nan")}
        if not args.skip_node:
            node = bench_node(model_path, n, args.seconds)
        adds = node["latency_ms_p95"] - core["round_ms_p95"]
        print(
            f"| {n} | {core['frame_ms_mean']:.1f} | {core['round_ms_p50']:.1f} | {core['round_ms_p95']:.1f} "
            f"| {core['max_hz']:.0f} | {'yes' if core['max_hz'] >= HZ else 'no'} "
            f"| {node['latency_ms_p50']:.1f} | {node['latency_ms_p95']:.1f} | {adds:.1f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
