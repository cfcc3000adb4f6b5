"""Action recognition speed: forward ms per track, and the action node under N tracks at a camera rate.

Node runs use the real node process pinned to one core (one inference thread), fed SkeletonArrays over
DDS by this process from another core. Latency is from publishing a frame to receiving the ActionArray
stamped with it; the node's overhead is that latency minus the forward time of a batch of the same
size, measured here on the same core.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from action_recognition.bench.nodes import (
    BenchClient,
    loads_torch,
    memory_mb,
    percentile,
    pinned,
    start_node,
    stop_node,
    wait_for,
)
from action_recognition.recognition import load_action_model

ACTION_NODE = "action_recognition.nodes.action_node"
SUSTAINED_SHARE = 0.9  # windows classified / windows due, at or above which a rate counts as kept up


@dataclass
class ActionRun:
    """One node run: `tracks` people at `rate` Hz for `seconds` (after the windows have filled)."""

    tracks: int
    rate: float
    seconds: float
    stride: int = 5  # frames of a track between two of its labels, at the model's frame rate
    spread: bool = True  # the node's spread_rounds (False: every due track in one round, as before)
    precision: str = "fp32"  # the node's precision parameter (int8: the INT8 export)
    threads: int = 1  # the node's inference threads
    workers: int = 1  # the node's inference_workers (sessions a batch is split across)


def person(tid: int, frame: int, joints: int = 17) -> tuple[np.ndarray, np.ndarray]:
    """A jittering skeleton of track `tid` (coords (V, 2) pixels, scores (V,)); deterministic."""
    rng = np.random.default_rng(tid * 100_003 + frame)
    xy = 200 + 40 * (tid % 20) + rng.normal(0, 5, (joints, 2))
    return xy.astype(np.float32), rng.uniform(0.3, 1, joints).astype(np.float32)


def forward_ms(backend: Any, spec: Any, batch: int, reps: int = 5) -> tuple[float, float]:
    """Median (wall ms, CPU ms) of one forward pass over `batch` one-person clips (the node's input).

    CPU time is this thread's (ONNX Runtime with one intra-op thread runs the graph on the caller's),
    or the whole process's when the backend splits batches across worker threads.
    """
    clock = time.process_time if getattr(backend, "workers", 1) > 1 else time.thread_time
    x = np.random.default_rng(0).standard_normal(
        (batch, 1, spec.clip_len, spec.skeleton().num_joints, spec.in_channels)).astype(np.float32)
    backend.predict(x)  # warm-up (ONNX Runtime plans shapes on first use)
    wall, cpu = [], []
    for _ in range(reps):
        start, start_cpu = time.perf_counter(), clock()
        backend.predict(x)
        wall.append((time.perf_counter() - start) * 1e3)
        cpu.append((clock() - start_cpu) * 1e3)
    return float(np.median(wall)), float(np.median(cpu))


class ForwardTable:
    """Forward ms by batch size for the node's model (and precision, threads), measured once per size on
    `cpus`."""

    def __init__(self, model: str | None, cpus: set[int], precision: str = "fp32", threads: int = 1,
                 workers: int = 1) -> None:
        self.model = load_action_model(model or None, threads=threads, precision=precision, workers=workers)
        self.cpus = cpus
        self._ms: dict[int, tuple[float, float]] = {}

    def _measure(self, batch: int) -> tuple[float, float]:
        if batch not in self._ms:
            with pinned(self.cpus):
                self._ms[batch] = forward_ms(self.model.backend, self.model.spec, batch)
        return self._ms[batch]

    def __call__(self, batch: int) -> float:
        """Wall ms of a forward pass over `batch` tracks."""
        return self._measure(batch)[0]

    def cpu(self, batch: int) -> float:
        """CPU ms of a forward pass over `batch` tracks (hardly affected by other load)."""
        return self._measure(batch)[1]

    def measured(self) -> dict[int, dict[str, float]]:
        """Batch size -> {wall_ms, cpu_ms}, for the sizes measured so far."""
        return {b: {"wall_ms": round(w, 2), "cpu_ms": round(c, 2)} for b, (w, c) in sorted(self._ms.items())}

    def per_track(self, batches: tuple[int, ...] = (1, 4, 16)) -> dict[str, float]:
        """CPU ms per track of a forward pass at a few batch sizes."""
        return {f"batch_{b}": round(self.cpu(b) / b, 2) for b in batches}


def tracks_one_core(runs: list[dict[str, Any]], forward_cpu_per_track: float, rate: float,
                    stride: int) -> int | None:
    """How many tracks one core carries at `rate`, from CPU time alone (so a loaded machine still gives
    the answer an idle one would, to the extent CPU time does not grow with load).

    A frame costs the node overhead(N) = a + b N (fitted to the runs: messages, windows, features, DDS)
    plus N / stride forwards of one track; the answer is the largest N within one frame period.
    """
    points = [(r["tracks"], r["overhead_cpu_ms_per_frame"]) for r in runs
              if r.get("spread_rounds") and r.get("overhead_cpu_ms_per_frame") is not None]
    if not points:
        return None
    n, o = np.array(points, float).T
    b, a = np.polyfit(n, o, 1) if len(set(n)) > 1 else (0.0, float(o[0]))
    per_track = max(b, 0.0) + forward_cpu_per_track / stride
    return max(0, int((1e3 / rate - max(a, 0.0)) / per_track))


DIAG_PERIOD_S = 0.25  # the node's diagnostics period: how finely its CPU counters are sampled


@dataclass
class SteadyCpu:
    """The node's CPU over the steady part of a run, as its own diagnostics counted it."""

    frames: int = 0  # input frames received in the span
    process_ms: float = 0.0  # the node process's CPU time in the span
    forward_ms: float = 0.0  # its forward passes' share

    def per_frame(self, rate: float) -> dict[str, float | None]:
        if self.frames <= 0:
            return dict.fromkeys(("node_cpu_ms_per_frame", "forward_cpu_ms_per_frame",
                                  "overhead_cpu_ms_per_frame", "core_share"))
        return {
            "node_cpu_ms_per_frame": round(self.process_ms / self.frames, 2),
            "forward_cpu_ms_per_frame": round(self.forward_ms / self.frames, 2),
            "overhead_cpu_ms_per_frame": round((self.process_ms - self.forward_ms) / self.frames, 2),
            "core_share": round(self.process_ms / 1e3 / (self.frames / rate), 3),
        }


def steady_cpu(reports: list[dict[str, str]], window: int, frames: int) -> SteadyCpu:
    """CPU between the first report after the window filled and the first report after all work was done.

    Both counters of a span come from the same two reports (the node reads them together), so the
    forward share can never exceed the whole, however loaded the machine is. Before, the forward
    share was a separate measurement in the bench process and came out above the node's whole CPU
    when another job shared the cores (15.33 vs 13.44 ms per frame).
    """
    def value(report: dict[str, str], key: str) -> float:
        return float(report.get(key, "nan"))

    start = next((r for r in reports if value(r, "received_total") >= window), None)
    if start is None or "cpu_ms_total" not in start:
        return SteadyCpu()
    final = reports[-1]
    end = next(r for r in reports if r["received_total"] == final["received_total"]
               and r["windows_classified_total"] == final["windows_classified_total"])
    return SteadyCpu(
        frames=min(int(value(end, "received_total") - value(start, "received_total")), frames - window),
        process_ms=value(end, "cpu_ms_total") - value(start, "cpu_ms_total"),
        forward_ms=value(end, "inference_cpu_ms_total") - value(start, "inference_cpu_ms_total"),
    )


def run_node(run: ActionRun, model: str | None, forward: ForwardTable, node_cpus: set[int],
             client_cpus: set[int], log: Path | None = None) -> dict[str, Any]:
    """Start the action node, stream `run.tracks` people at `run.rate` Hz, measure, stop it."""
    from builtin_interfaces.msg import Time
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.qos import QoSProfile, ReliabilityPolicy

    from action_recognition.msg import ActionArray, Keypoint, Skeleton, SkeletonArray

    spec = forward.model.spec
    ns = f"/bench_action_{os.getpid()}_{run.tracks}_{int(run.spread)}"
    params = {"model": model or "", "threads": run.threads, "precision": run.precision,
              "inference_workers": run.workers,
              "stride_s": run.stride / spec.fps,
              "qos_reliability": "reliable", "qos_depth": 100, "diagnostics_period": DIAG_PERIOD_S,
              "spread_rounds": run.spread}
    proc = start_node(ACTION_NODE, ns, params, cpus=node_cpus, log=log)
    client = BenchClient("bench_action_client", client_cpus)
    node, spin = client.node, client.spin
    qos = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
    pub = node.create_publisher(SkeletonArray, f"{ns}/skeletons", qos)
    sent_at: dict[int, float] = {}
    got: list[tuple[float, int, int]] = []  # (latency ms, actions in the message, stamp)
    reports: list[dict[str, str]] = []  # the node's diagnostics values, in order

    def on_actions(msg: ActionArray) -> None:
        stamp = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec
        if msg.actions and stamp in sent_at:
            got.append(((time.perf_counter() - sent_at[stamp]) * 1e3, len(msg.actions), stamp))

    def on_diag(msg: DiagnosticArray) -> None:
        for status in msg.status:
            values = {kv.key: kv.value for kv in status.values}
            if "windows_classified_total" in values:  # the bench's own domain: only our node
                reports.append(values)

    sub = node.create_subscription(ActionArray, f"{ns}/actions", on_actions, qos)
    node.create_subscription(DiagnosticArray, "/diagnostics", on_diag, 10)
    result: dict[str, Any] = {"tracks": run.tracks, "rate_hz": run.rate, "spread_rounds": run.spread,
                              "precision": run.precision, "threads": run.threads, "workers": run.workers,
                              "node_cpus": sorted(node_cpus)}
    try:
        def matched() -> bool:
            return pub.get_subscription_count() > 0 and sub.get_publisher_count() > 0

        if not wait_for(matched, 120, spin) or proc.poll() is not None:
            raise RuntimeError(f"the action node did not start (exit {proc.poll()}; log {log})")
        wait_for(lambda: False, 1.0, spin)  # both directions matched, model loaded
        window = round(spec.window_frames * run.rate / spec.fps)
        frames = window + int(run.seconds * run.rate)
        messages = []
        for f in range(frames):
            stamp = int(f * 1e9 / run.rate)
            msg = SkeletonArray(layout=spec.skeleton().name, image_width=1280, image_height=720)
            msg.header.stamp = Time(sec=stamp // 1_000_000_000, nanosec=stamp % 1_000_000_000)
            for t in range(run.tracks):
                xy, scores = person(t, f)
                sk = Skeleton(track_id=t, layout=msg.layout, bbox=[0.0, 0.0, 1.0, 1.0], bbox_score=1.0)
                sk.keypoints = [Keypoint(x=float(x), y=float(y), score=float(s))
                                for (x, y), s in zip(xy, scores, strict=True)]
                msg.skeletons.append(sk)
            messages.append((stamp, msg))
        period = 1.0 / run.rate
        next_t = time.perf_counter()
        measured_from = int(window * 1e9 / run.rate)  # windows full: the steady state
        for stamp, msg in messages:
            sent_at[stamp] = time.perf_counter()
            pub.publish(msg)
            next_t += period
            while (left := next_t - time.perf_counter()) > 0:
                spin(left)
        # Until the node reports every frame received (a fixed wait came up short on a loaded machine),
        # then one more second for the last rounds and a report after them.
        def all_received() -> bool:
            return bool(reports) and int(reports[-1].get("received_total", -1)) >= frames

        wait_for(all_received, 60, spin)
        wait_for(lambda: False, 1.0, spin)
        steady = [g for g in got if g[2] >= measured_from]
        latency = [g[0] for g in steady]
        overhead = [g[0] - forward(g[1]) for g in steady]
        sizes = [g[1] for g in steady]
        # Windows due in the steady part: every track every `stride` model frames.
        due = run.tracks * (frames - window) * spec.fps / run.rate / run.stride
        classified = sum(sizes)
        diag = reports[-1] if reports else {}
        received = int(diag.get("received_total", -1))
        dropped = sum(int(v) for k, v in diag.items() if k.startswith("dropped_"))
        cpu = steady_cpu(reports, window, frames)
        result.update({
            "frames_sent": frames,
            "frames_received": received,
            "frames_dropped": dropped,
            "windows_due": round(due, 1),
            "windows_classified": classified,
            "latency_ms_p50": percentile(latency, 50),
            "latency_ms_p95": percentile(latency, 95),
            "overhead_ms_p50": percentile(overhead, 50),
            "overhead_ms_p95": percentile(overhead, 95),
            "tracks_per_round_mean": round(float(np.mean(sizes)), 2) if sizes else None,
            # CPU time (nearly load-independent): the node's whole process per input frame, the
            # forward passes' share of it, and the rest (messages, windows, features, DDS).
            **cpu.per_frame(run.rate),
            "sustained": bool(received == frames and dropped == 0 and classified >= SUSTAINED_SHARE * due),
            **memory_mb(proc.pid),
            "torch_loaded": loads_torch(proc.pid),
        })
    finally:
        client.close()
        stop_node(proc)
    return result
