"""Pose speed: the bare Ultralytics backend, our estimator and the pose node on the same frames.

    python -m action_recognition.bench.pose --case bare,onnx,320 --frames frames.npy   # internal worker

"bare" is `YOLO(...).track()` with the same weights/export, imgsz, thresholds and tracker as the
estimator, each in its own worker process; the node is the real pose node process, fed bgr8 Images by
this process in lock step (publish a frame, wait for its SkeletonArray), so its time includes the DDS
transport both ways: what a pipeline pays beyond the backend. The workers and the node are pinned to
the same core and take turns frame by frame, so all three see the same load.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from action_recognition.bench.nodes import cpu_ms, memory_mb, percentile, start_node, stop_node, wait_for

POSE_NODE = "action_recognition.nodes.pose_node"


def installed_backends() -> list[str]:
    """Pose backends usable here, without importing them: pytorch always, onnx, openvino when installed."""
    found = ["pytorch"]
    if importlib.util.find_spec("onnxruntime") and importlib.util.find_spec("onnx"):
        found.append("onnx")
    if importlib.util.find_spec("openvino"):
        found.append("openvino")
    return found


def camera_frames(width: int, height: int, count: int) -> np.ndarray:
    """`count` consecutive demo-video frames (a person walking) resized to the camera's size, (N, H, W, 3)."""
    import cv2

    from action_recognition.paths import demo_video
    from action_recognition.pose.video_source import VideoSource

    out = []
    with VideoSource(demo_video()) as source:
        for frame in source:
            if len(out) >= count:
                break
            out.append(cv2.resize(frame.image, (width, height), interpolation=cv2.INTER_AREA))
    if not out:
        raise RuntimeError(f"no frames from {demo_video()} (run ./install.sh)")
    while len(out) < count:  # a short video loops
        out.append(out[len(out) % max(1, len(out))])
    return np.stack(out)


class _Runner:
    """One of: bare track() (`kind` "bare") or PoseEstimator.process ("estimator"), same config."""

    def __init__(self, kind: str, backend: str, imgsz: int) -> None:
        from action_recognition.pose import ultralytics_env
        from action_recognition.pose.estimator import PoseConfig, PoseEstimator, resolve_model

        ultralytics_env.prepare()
        import torch
        from ultralytics import YOLO

        torch.set_num_threads(1)
        self.cfg = cfg = PoseConfig(imgsz=imgsz, backend=backend, threads=1)
        self.estimator = PoseEstimator(cfg) if kind == "estimator" else None
        self.bare = None if self.estimator else YOLO(str(resolve_model(cfg)), task="pose")

        try:  # a tracker name of ours (config/trackers/) is a file Ultralytics reads as well
            from action_recognition.pose.tracker_config import resolve_tracker

            self.tracker = str(resolve_tracker(cfg.tracker))
        except ImportError:
            self.tracker = cfg.tracker

    def step(self, image: np.ndarray) -> tuple[float, int]:
        """(ms, people) for one frame."""
        c = self.cfg
        start = time.perf_counter()
        if self.estimator is not None:
            people = len(self.estimator.process(image).persons)
        else:
            result = self.bare.track(image, persist=True, tracker=self.tracker, imgsz=c.imgsz, conf=c.conf,
                                     iou=c.iou, max_det=c.max_det, device=c.device, verbose=False)[0]
            people = 0 if result.boxes is None or result.boxes.id is None else len(result.boxes.id)
        return (time.perf_counter() - start) * 1e3, people


def _serve(kind: str, backend: str, imgsz: int, frames: np.ndarray) -> None:
    """Worker loop: a frame index on stdin -> 'ms people' on stdout."""
    runner = _Runner(kind, backend, imgsz)
    print("ready", flush=True)
    for line in sys.stdin:
        print(*runner.step(frames[int(line)]), flush=True)


class _Worker:
    """A bare or estimator worker process, pinned to `cpus`; `step(i)` runs frame i there."""

    def __init__(self, kind: str, backend: str, imgsz: int, frames_path: Path, cpus: set[int]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", __name__, "--case", f"{kind},{backend},{imgsz}",
             "--frames", str(frames_path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=lambda: os.sched_setaffinity(0, cpus))
        if self.proc.stdout.readline().strip() != "ready":
            self.proc.wait()
            tail = (self.proc.stderr.read().strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(tail)

    def step(self, index: int) -> tuple[float, int]:
        self.proc.stdin.write(f"{index}\n")
        self.proc.stdin.flush()
        ms, people = self.proc.stdout.readline().split()
        return float(ms), int(people)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


def compare(backend: str, imgsz: int, frames: np.ndarray, node_cpus: set[int], client_cpus: set[int],
            warmup: int = 5, log: Path | None = None) -> dict[str, Any]:
    """Bare backend, estimator and pose node on the same frames and core, alternating frame by frame."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "frames.npy"
        np.save(path, frames)
        workers: dict[str, _Worker] = {}
        try:
            for kind in ("bare", "estimator"):
                workers[kind] = _Worker(kind, backend, imgsz, path, node_cpus)
            with PoseNodeClient(backend, imgsz, node_cpus, client_cpus, log) as node:
                times: dict[str, list[float]] = {"bare": [], "estimator": [], "node": []}
                cpu = dict.fromkeys(times, 0.0)
                pids = {"bare": workers["bare"].proc.pid, "estimator": workers["estimator"].proc.pid,
                        "node": node.proc.pid}
                people, lost = 0, 0
                for i in range(warmup + len(frames)):
                    index = i % len(frames)
                    # Each frame: all three in turn, starting with a different one each time (no order bias).
                    order = ["bare", "estimator", "node"]
                    order = order[i % 3:] + order[: i % 3]
                    for kind in order:
                        cpu_before = cpu_ms(pids[kind])
                        if kind == "node":
                            ms = node.round_trip(frames[index], i)
                            lost += ms is None and i >= warmup
                        else:
                            ms, found = workers[kind].step(index)
                            people += found if kind == "bare" and i >= warmup else 0
                        if i >= warmup and ms is not None:
                            times[kind].append(ms)
                            cpu[kind] += cpu_ms(pids[kind]) - cpu_before
                memory = node.memory()
        except RuntimeError as exc:  # e.g. openvino missing, export failed, node did not start
            return {"error": str(exc)}
        finally:
            for worker in workers.values():
                worker.close()
    out: dict[str, Any] = {f"{k}_ms_p50": percentile(v, 50) for k, v in times.items()}
    out.update({f"{k}_ms_p95": percentile(v, 95) for k, v in times.items()})
    out.update({f"{k}_cpu_ms": round(cpu[k] / max(1, len(times[k])), 2) for k in times})
    out.update(people_per_frame=round(people / len(frames), 2), lost=lost, **memory)
    if out["node_ms_p50"] and out["bare_ms_p50"]:
        # CPU time per frame: what each costs, nearly independent of other load on the machine.
        out["node_vs_bare_cpu"] = round(out["node_cpu_ms"] / out["bare_cpu_ms"], 3)
        out["estimator_vs_bare_cpu"] = round(out["estimator_cpu_ms"] / out["bare_cpu_ms"], 3)
        out["node_vs_bare_wall"] = round(out["node_ms_p50"] / out["bare_ms_p50"], 3)
    return out


class PoseNodeClient:
    """The pose node process (pinned to `node_cpus`) and a client sending it frames one at a time."""

    def __init__(self, backend: str, imgsz: int, node_cpus: set[int], client_cpus: set[int],
                 log: Path | None = None) -> None:
        self.args = (backend, imgsz, node_cpus, client_cpus, log)

    def __enter__(self) -> PoseNodeClient:
        import rclpy
        from rclpy.qos import QoSProfile, ReliabilityPolicy
        from rclpy.signals import SignalHandlerOptions
        from sensor_msgs.msg import Image

        from action_recognition.msg import SkeletonArray
        from action_recognition.pose.estimator import PoseConfig

        backend, imgsz, node_cpus, client_cpus, log = self.args
        cfg = PoseConfig()
        ns = f"/bench_pose_{os.getpid()}_{backend}_{imgsz}"
        params = {"backend": backend, "imgsz": imgsz, "threads": 1, "tracker": cfg.tracker, "conf": cfg.conf,
                  "iou": cfg.iou, "max_det": cfg.max_det, "qos_reliability": "reliable", "qos_depth": 5}
        self.proc = start_node(POSE_NODE, ns, params, cpus=node_cpus, log=log)
        self._affinity = os.sched_getaffinity(0)
        os.sched_setaffinity(0, client_cpus)
        self.ctx = rclpy.Context()
        rclpy.init(context=self.ctx, signal_handler_options=SignalHandlerOptions.NO)
        self.node = rclpy.create_node("bench_pose_client", context=self.ctx)
        self.executor = rclpy.executors.SingleThreadedExecutor(context=self.ctx)
        self.executor.add_node(self.node)
        qos = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
        self.pub = self.node.create_publisher(Image, f"{ns}/image", qos)
        self.replies: dict[int, float] = {}

        def on_skeletons(msg: SkeletonArray) -> None:
            stamp = msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec
            self.replies.setdefault(stamp, time.perf_counter())

        sub = self.node.create_subscription(SkeletonArray, f"{ns}/skeletons", on_skeletons, qos)

        def matched() -> bool:
            return self.pub.get_subscription_count() > 0 and sub.get_publisher_count() > 0

        if not wait_for(matched, 300, self._spin) or self.proc.poll() is not None:
            self.__exit__()
            raise RuntimeError(f"the pose node did not start (exit {self.proc.poll()}; log {log})")
        return self

    def _spin(self, seconds: float) -> None:
        self.executor.spin_once(timeout_sec=seconds)

    def round_trip(self, image: np.ndarray, index: int, timeout: float = 10.0) -> float | None:
        """ms from publishing `image` to receiving its SkeletonArray; None when none came in `timeout`."""
        from builtin_interfaces.msg import Time
        from std_msgs.msg import Header

        from action_recognition.nodes.convert import bgr_to_image

        stamp = (index + 1) * 33_333_333
        msg = bgr_to_image(image, Header(stamp=Time(sec=stamp // 10**9, nanosec=stamp % 10**9)))
        sent = time.perf_counter()
        self.pub.publish(msg)
        if not wait_for(lambda: stamp in self.replies, timeout, self._spin):
            return None
        return (self.replies[stamp] - sent) * 1e3

    def memory(self) -> dict[str, float]:
        return memory_mb(self.proc.pid)

    def __exit__(self, *exc: object) -> None:
        import rclpy

        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.shutdown(context=self.ctx)
        os.sched_setaffinity(0, self._affinity)
        stop_node(self.proc)


def main(argv: list[str] | None = None) -> int:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=fmt)
    parser.add_argument("--case", required=True, help="bare|estimator,backend,imgsz")
    parser.add_argument("--frames", required=True, type=Path, help=".npy of (N, H, W, 3) uint8 BGR frames")
    args = parser.parse_args(argv)
    kind, backend, imgsz = args.case.split(",")
    _serve(kind, backend, int(imgsz), np.load(args.frames))
    return 0


if __name__ == "__main__":
    sys.exit(main())
