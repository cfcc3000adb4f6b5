"""Action node: SkeletonArray of tracked people in, what each person is doing out.

Topics (remap with -r): `skeletons` (SkeletonArray) in; `actions` (ActionArray, one per inference
round, and an empty one for a frame with nobody), `label_map` (LabelMap, once, transient-local) and
`/diagnostics` out. Windows, batching and timing live in `action_recognition.recognition`; this node
only converts messages and reports.

The subscription callback only appends frames; a worker thread runs the forward passes. When
inference is slower than the input, no frame is lost: tracks are simply labelled less often.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node

from action_recognition.msg import Action, ActionArray, LabelMap, SkeletonArray
from action_recognition.nodes.params import Param, declare, qos_profile
from action_recognition.nodes.qos import label_map_qos
from action_recognition.nodes.run import run_node
from action_recognition.recognition import (
    ActionRecognizer,
    ActionResult,
    ModelSourceError,
    PersonFrame,
    RecognizerConfig,
    load_action_model,
)

ACTION_NODE_PARAMS: tuple[Param, ...] = (
    Param(
        "model", "", "action model: our .pth, a PYSKL .pth (with 'labels') or .onnx; empty = shipped default"
    ),
    Param("labels", "", "label file (one class per line, or a YAML list); empty = the names in the model"),
    Param("layout", "", "skeleton layout of a PYSKL checkpoint; empty = the model's (or inferred)"),
    Param("device", "cpu", "inference device for PyTorch models: cpu, cuda, cuda:N"),
    Param(
        "backend",
        "auto",
        "for a .pth: torch, or onnxruntime (exported once, parity-checked); "
        "auto = onnxruntime on the CPU (~2x faster), torch on a GPU",
        ("auto", "torch", "onnxruntime"),
    ),
    Param("threads", 1, "CPU threads for inference; 0 = the library default"),
    Param("window", 0, "frames kept per track; 0 = the model's window (default model: 90), else clip length"),
    Param("min_frames", 0, "frames a track needs before its first label; 0 = half the window"),
    Param("stride", 5, "new frames of a track between two of its inferences (when period is 0)"),
    Param("period", 0.0, "seconds between inference rounds over all tracks with new frames; 0 = use stride"),
    Param("persons_per_sample", 1, "1, or 2 = each track with its nearest other person (interactions)"),
    Param("smoothing", 0.0, "weight of the previous probabilities in a moving average; 0 = off"),
    Param("score_threshold", 0.0, "top probability below which the label is 'unknown' (class_id -1)"),
    Param("track_timeout", 2.0, "seconds (message stamps) after which an unseen track is dropped"),
    Param("max_tracks", 50, "tracks kept at most; the least recently seen is evicted"),
    Param("max_batch", 32, "tracks per forward pass at most"),
    Param("qos_reliability", "reliable", "input QoS reliability", ("best_effort", "reliable")),
    Param("qos_depth", 10, "input QoS history depth"),
    Param("diagnostics_period", 1.0, "seconds between diagnostics on /diagnostics"),
)


# The node parameters that are RecognizerConfig fields, by the same names.
RECOGNIZER_PARAMS: tuple[str, ...] = (
    "window",
    "min_frames",
    "stride",
    "persons_per_sample",
    "smoothing",
    "score_threshold",
    "track_timeout",
    "max_tracks",
    "max_batch",
)


def recognizer_config(params: dict) -> RecognizerConfig:
    """The recognizer settings among the node's parameter values; with a period, every new frame counts."""
    config = RecognizerConfig(**{name: params[name] for name in RECOGNIZER_PARAMS})
    if params["period"] > 0:
        config.stride = 1
    return config


@dataclass
class _Stats:
    received: int = 0
    empty: int = 0
    stale: int = 0
    duplicate: int = 0
    wrong_joints: int = 0
    non_finite: int = 0
    wrong_layout: int = 0
    published: int = 0
    latency_ms: list[float] = field(default_factory=list)
    infer_ms: list[float] = field(default_factory=list)


def stamp_ns(stamp: Time) -> int:
    return int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)


def ns_to_stamp(ns: int) -> Time:
    return Time(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)


def skeletons_to_frames(msg: SkeletonArray, with_z: bool) -> list[PersonFrame]:
    """Skeletons -> (coords (V, 2|3), scores (V,)) per track; the recognizer checks joint counts."""
    frames = []
    for sk in msg.skeletons:
        rows = np.array([(k.x, k.y, k.z, k.score) for k in sk.keypoints], np.float32).reshape(-1, 4)
        coords = rows[:, :3] if with_z else rows[:, :2]
        frames.append(PersonFrame(int(sk.track_id), coords, rows[:, 3]))
    return frames


def result_to_msg(r: ActionResult) -> Action:
    return Action(
        track_id=r.track_id,
        class_id=r.class_id,
        label=r.label,
        score=r.score,
        probabilities=r.probabilities.tolist(),
        window_start=ns_to_stamp(r.window_start_ns),
        window_end=ns_to_stamp(r.window_end_ns),
        num_frames=r.num_frames,
    )


class ActionNode(Node):
    def __init__(self) -> None:
        super().__init__("action_node")
        p = declare(self, ACTION_NODE_PARAMS)
        model = load_action_model(
            p["model"] or None,
            p["labels"] or None,
            p["layout"] or None,
            p["device"],
            p["threads"] or None,
            p["backend"],
        )  # ModelSourceError is fatal (see main)
        self.spec = model.spec
        self.layout = self.spec.skeleton()
        period = self._period = float(p["period"])
        self.recognizer = ActionRecognizer(model.backend, self.spec, model.labels, recognizer_config(p))
        self.with_z = self.spec.normalization == "3d"
        self._stats = _Stats()
        self._frame_id = ""
        self._layout_checked = False
        self._layout_ok = True
        self._received_at: OrderedDict[int, float] = OrderedDict()  # frame stamp -> monotonic receipt
        self._lock = threading.Condition()
        self._new_frames = False
        self._running = True

        self.actions_pub = self.create_publisher(ActionArray, "actions", 10)
        self.labels_pub = self.create_publisher(LabelMap, "label_map", label_map_qos())
        self.diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        qos = qos_profile(p["qos_reliability"], p["qos_depth"])
        self.sub = self.create_subscription(SkeletonArray, "skeletons", self._on_skeletons, qos)
        label_map = LabelMap(model_name=model.name, layout=self.layout.name, labels=model.labels)
        label_map.header.stamp = self.get_clock().now().to_msg()
        self.labels_pub.publish(label_map)
        self.create_timer(p["diagnostics_period"], self._publish_diagnostics)
        self._worker = threading.Thread(target=self._work, name="action_inference", daemon=True)
        self._worker.start()
        c = self.recognizer.config
        self.get_logger().info(
            f"model {model.path} ({len(model.labels)} classes, layout {self.layout.name}, clip_len "
            f"{self.spec.clip_len}, backend {type(model.backend).__name__}); window {c.window}, min_frames "
            f"{c.min_frames}, "
            + (f"period {period} s" if period > 0 else f"stride {c.stride}")
            + f"; input QoS {p['qos_reliability']} depth {p['qos_depth']} on {self.sub.topic_name}"
        )

    def _check_layout(self, msg: SkeletonArray) -> bool:
        # Checked on the first message: a wrong layout is a configuration error, reported once
        # clearly; the node then stays up without inferring rather than crash-looping.
        if not self._layout_checked:
            self._layout_checked = True
            if msg.layout and msg.layout != self.layout.name:
                self._layout_ok = False
                self.get_logger().error(
                    f"incoming skeletons have layout '{msg.layout}' but the model expects "
                    f"'{self.layout.name}': no inference will run. Use a pose model with the "
                    f"'{self.layout.name}' layout, or an action model trained on '{msg.layout}'."
                )
        return self._layout_ok

    def _on_skeletons(self, msg: SkeletonArray) -> None:
        received = time.monotonic()
        self._stats.received += 1
        if not self._check_layout(msg):
            self._stats.wrong_layout += 1
            return
        stamp = stamp_ns(msg.header.stamp)
        frames = skeletons_to_frames(msg, self.with_z)
        with self._lock:
            self._frame_id = msg.header.frame_id
            stats = self.recognizer.add_frame(stamp, frames, (msg.image_width, msg.image_height))
            if stats.accepted:
                self._received_at[stamp] = received
                while len(self._received_at) > 256:
                    self._received_at.popitem(last=False)
                self._new_frames = True
                self._lock.notify()
        self._report(stamp, stats)
        if not msg.skeletons and not (stats.stale_frame or stats.duplicate_frame):
            self._stats.empty += 1
            self._publish([], stamp)  # nobody there: say so, so downstream sees data flowing

    def _report(self, stamp: int, stats) -> None:
        s = self._stats
        s.stale += stats.stale_frame
        s.duplicate += stats.duplicate_frame
        if stats.stale_frame or stats.duplicate_frame:
            self.get_logger().warning(
                f"dropped a frame stamped {stamp} ns: not newer than the last one", throttle_duration_sec=5.0
            )
        if stats.wrong_joint_count:
            s.wrong_joints += stats.wrong_joint_count
            self.get_logger().error(
                f"{stats.wrong_joint_count} skeleton(s) without {self.layout.num_joints} joints "
                f"(layout {self.layout.name}) skipped",
                throttle_duration_sec=5.0,
            )
        if stats.non_finite_joints:
            s.non_finite += stats.non_finite_joints
            self.get_logger().warning(
                "NaN/inf keypoints treated as missing joints", throttle_duration_sec=5.0
            )

    def _work(self) -> None:
        """Inference rounds: on new frames (stride mode) or every `period` seconds."""
        while True:
            with self._lock:
                if self._period > 0:
                    self._lock.wait(timeout=self._period)
                else:
                    self._lock.wait_for(lambda: self._new_frames or not self._running)
                if not self._running:
                    return
                self._new_frames = False
                batches = self.recognizer.prepare()
            for batch in batches:
                start = time.perf_counter()
                logits = self.recognizer.backend.predict(batch.clips)  # outside the lock: frames keep coming
                self._stats.infer_ms.append((time.perf_counter() - start) * 1e3)
                with self._lock:
                    results = self.recognizer.finish(batch, logits)
                self._publish(results, max(r.window_end_ns for r in results))

    def stop(self) -> None:
        with self._lock:
            self._running = False
            self._lock.notify()
        self._worker.join(timeout=10.0)

    def _publish(self, results: list[ActionResult], newest_ns: int) -> None:
        out = ActionArray(actions=[result_to_msg(r) for r in results])
        out.header.stamp = ns_to_stamp(newest_ns)
        out.header.frame_id = self._frame_id
        self.actions_pub.publish(out)
        self._stats.published += 1
        with self._lock:
            received = self._received_at.get(newest_ns)
        if received is not None:
            self._stats.latency_ms.append((time.monotonic() - received) * 1e3)

    def _publish_diagnostics(self) -> None:
        s = self._stats
        latency, infer = s.latency_ms, s.infer_ms
        s.latency_ms, s.infer_ms = [], []
        status = DiagnosticStatus(name=f"{self.get_name()}: action recognition", hardware_id=self.get_name())
        if not self._layout_ok:
            status.level, status.message = DiagnosticStatus.ERROR, "layout mismatch: no inference"
        elif s.received == 0:
            status.level, status.message = DiagnosticStatus.WARN, f"no skeletons yet on {self.sub.topic_name}"
        else:
            status.level, status.message = DiagnosticStatus.OK, "running"
        values = {
            "tracks": len(self.recognizer.tracks),
            "received_total": s.received,
            "published_total": s.published,
            "windows_classified_total": self.recognizer.windows_classified,
            "dropped_stale_total": s.stale,
            "dropped_duplicate_total": s.duplicate,
            "skipped_wrong_joint_count_total": s.wrong_joints,
            "non_finite_joints_total": s.non_finite,
            "inference_ms_mean": f"{np.mean(infer):.1f}" if infer else "nan",
            "latency_ms_p95": f"{np.percentile(latency, 95):.1f}" if latency else "nan",
        }
        status.values = [KeyValue(key=k, value=str(v)) for k, v in values.items()]
        arr = DiagnosticArray(status=[status])
        arr.header.stamp = self.get_clock().now().to_msg()
        self.diag_pub.publish(arr)


def main(args: list[str] | None = None) -> int:
    # bad model/labels/parameter: fatal, clear
    return run_node(ActionNode, "action_node", fatal=(ModelSourceError,), args=args)


if __name__ == "__main__":
    sys.exit(main())
