"""Pose node: sensor_msgs/Image in, action_recognition/SkeletonArray of tracked people out.

Topics (remap with -r): `image` (sensor_msgs/Image) or `image/compressed` (compressed:=true) in;
`skeletons` (SkeletonArray), `debug_image` (optional) and `/diagnostics` out.

The subscription callback only keeps the newest frame; one worker thread runs inference on it, so
when inference is slower than the camera the node skips to the newest frame and counts the drops.
Untracked detections (not yet confirmed by the tracker) are not published.

A lifecycle node (nodes/lifecycle.py): configure loads the model, activate subscribes, deactivate
unsubscribes; autostart (default) does both at start. conf, iou, max_det, publish_debug_image and
diagnostics_period change at run time (`ros2 param set`); the others are read-only.
"""

from __future__ import annotations

import copy
import sys
import threading
import time
from dataclasses import dataclass, field

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from sensor_msgs.msg import CompressedImage, Image

from action_recognition.msg import SkeletonArray
from action_recognition.nodes import convert
from action_recognition.nodes.lifecycle import ManagedNode
from action_recognition.nodes.params import POSE_NODE_PARAMS
from action_recognition.nodes.qos import InputSubscription
from action_recognition.nodes.run import run_node
from action_recognition.pose.draw import draw_poses
from action_recognition.pose.estimator import PoseConfig, PoseEstimator, PoseSetupError
from action_recognition.pose.image_encoding import ImageEncodingError, UnsupportedEncodingError
from action_recognition.skeleton import get_layout


@dataclass
class _Stats:
    received: int = 0
    processed: int = 0
    dropped: int = 0  # overwritten by a newer frame before inference got to them
    invalid: int = 0  # bad encoding / size / data
    persons: int = 0
    infer_ms: list[float] = field(default_factory=list)


class PoseNode(ManagedNode):
    setup_errors = (PoseSetupError,)

    def __init__(self) -> None:
        super().__init__("pose_node", POSE_NODE_PARAMS)
        self.estimator: PoseEstimator | None = None
        self._worker: threading.Thread | None = None
        self._lock = threading.Condition()
        self._stats = _Stats()
        self._running = False

    def _configure(self) -> None:
        p = self.p
        self.layout = p["layout"]
        names = ("layout", "device", "imgsz", "conf", "iou", "max_det", "tracker", "half", "backend")
        names += ("threads",)
        cfg = PoseConfig(model=p["model"] or None, **{k: p[k] for k in names})
        self.estimator = PoseEstimator(cfg)  # PoseSetupError: configure fails with its message
        self.get_logger().info(
            f"model {self.estimator.model_path} ({self.estimator.num_keypoints} keypoints, "
            f"layout {self.layout}), "
            f"device {cfg.device}, imgsz {cfg.imgsz}, tracker {cfg.tracker}"
        )
        self.edges = tuple(get_layout(p["layout"]).edges)  # the estimator already checked the layout
        self.pub = self.create_publisher(SkeletonArray, "skeletons", 10)
        self.debug_pub = self.create_publisher(Image, "debug_image", 2) if p["publish_debug_image"] else None
        self.diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self._pending: Image | CompressedImage | None = None
        self._stats = _Stats()
        self._period_start = time.monotonic()
        self._last_counts = (0, 0)  # received, processed at the last diagnostics
        self._warned_encodings: set[str] = set()
        self._running = True
        self._worker = threading.Thread(target=self._work, name="pose_inference", daemon=True)
        self._worker.start()

    def _open_input(self) -> None:
        p = self.p
        msg_type, topic = (CompressedImage, "image/compressed") if p["compressed"] else (Image, "image")
        self.sub = InputSubscription(
            self, msg_type, topic, self._on_image, p["qos_reliability"], p["qos_depth"]
        )
        self.get_logger().info(
            f"subscribed to {self.sub.describe()} ({msg_type.__name__}); a publisher with incompatible QoS "
            "is logged"
        )

    def _close_input(self) -> None:
        super()._close_input()
        with self._lock:
            self._pending = None  # a deactivated node does not finish an old frame later

    def _apply(self, changes: dict) -> None:
        if self.estimator is not None:
            for key in ("conf", "iou", "max_det"):
                if key in changes:
                    setattr(self.estimator.config, key, changes[key])  # read on every frame
        if "publish_debug_image" in changes and self._running:
            with self._lock:
                if changes["publish_debug_image"] and self.debug_pub is None:
                    self.debug_pub = self.create_publisher(Image, "debug_image", 2)
                elif not changes["publish_debug_image"]:
                    self._destroy_publishers("debug_pub")

    def _release(self) -> None:
        self._destroy_publishers("pub", "debug_pub", "diag_pub")
        self.estimator = None

    def summary_line(self) -> str:
        s = self._stats
        return (f"stopped: {s.received} images received, {s.processed} processed, {s.dropped} dropped "
                f"(newer frame), {s.invalid} invalid, {s.persons} person detections published")

    def _on_image(self, msg: Image | CompressedImage) -> None:
        with self._lock:
            self._stats.received += 1
            if self._pending is not None:
                self._stats.dropped += 1
            self._pending = msg
            self._lock.notify()

    def _work(self) -> None:
        while True:
            with self._lock:
                while self._pending is None and self._running:
                    self._lock.wait(0.5)
                if not self._running:
                    return
                msg, self._pending = self._pending, None
            try:
                self._process(msg)
            except Exception as exc:  # one bad frame must not kill the node
                if self._running:  # after stop() a failure is the teardown's, not the frame's
                    self.get_logger().error(f"frame failed: {exc!r}", throttle_duration_sec=5.0)

    def _decode(self, msg: Image | CompressedImage):
        try:
            if isinstance(msg, CompressedImage):
                return convert.compressed_to_bgr(msg)
            return convert.image_to_bgr(msg)
        except UnsupportedEncodingError as exc:
            if exc.encoding not in self._warned_encodings:  # warn once per encoding
                self._warned_encodings.add(exc.encoding)
                self.get_logger().warning(f"skipping images: {exc}")
        except ImageEncodingError as exc:
            self.get_logger().warning(f"skipping image: {exc}", throttle_duration_sec=5.0)
        with self._lock:
            self._stats.invalid += 1
        return None

    def _process(self, msg: Image | CompressedImage) -> None:
        image = self._decode(msg)
        if image is None:
            return
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9  # re-linking measures gaps in time
        frame = self.estimator.process(image, stamp=stamp or None)
        out = convert.persons_to_msg(frame.persons, msg.header, self.layout, frame.width, frame.height)
        with self._lock:  # stop() clears _running under this lock: nothing is published after it
            if not self._running:
                return
            self.pub.publish(out)
            debug_pub = self.debug_pub
        if debug_pub is not None:
            drawn = draw_poses(image, frame.persons, self.edges, copy=False)
            with self._lock:
                if self._running and self.debug_pub is not None:
                    self.debug_pub.publish(convert.bgr_to_image(drawn, msg.header))
        with self._lock:
            self._stats.processed += 1
            self._stats.persons += len(out.skeletons)
            self._stats.infer_ms.append(frame.inference_ms)

    def _diagnostic_status(self) -> DiagnosticStatus:
        now = time.monotonic()
        with self._lock:
            s = copy.copy(self._stats)  # a consistent snapshot of the counters
            window = max(now - self._period_start, 1e-6)
            recv_rate = (s.received - self._last_counts[0]) / window
            proc_rate = (s.processed - self._last_counts[1]) / window
            self._last_counts = (s.received, s.processed)
            infer, self._stats.infer_ms = s.infer_ms, []
            self._period_start = now
        name, hardware_id = self.diagnostic_name("pose estimation")
        status = DiagnosticStatus(name=name, hardware_id=hardware_id)
        if self.sub is None:
            status.level, status.message = DiagnosticStatus.WARN, "inactive: no input (lifecycle or enable)"
        elif s.received == 0:
            status.level, status.message = DiagnosticStatus.WARN, f"no images yet on {self.sub.topic_name}"
        else:
            status.level, status.message = DiagnosticStatus.OK, "running"
        values = {
            "input_rate_hz": f"{recv_rate:.2f}",
            "processed_rate_hz": f"{proc_rate:.2f}",
            "inference_ms_mean": f"{sum(infer) / len(infer):.1f}" if infer else "nan",
            "inference_ms_max": f"{max(infer):.1f}" if infer else "nan",
            "received_total": str(s.received),
            "processed_total": str(s.processed),
            "dropped_total": str(s.dropped),
            "invalid_total": str(s.invalid),
            "persons_total": str(s.persons),
        }
        status.values = [KeyValue(key=k, value=v) for k, v in values.items()]
        return status

    def stop(self) -> None:
        # Bounded: a frame still in inference finishes in a daemon thread and is never published.
        with self._lock:
            self._running = False
            self._pending = None
            self._lock.notify()
        if self._worker is not None:
            self._worker.join(timeout=1.0)
            self._worker = None


def main(args: list[str] | None = None) -> int:
    # bad weights/layout/device/parameter: fatal, clear (exit 1)
    return run_node(PoseNode, "pose_node", fatal=(PoseSetupError,), args=args)


if __name__ == "__main__":
    sys.exit(main())
