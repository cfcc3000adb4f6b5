"""Demo recorder node: prints each person's actions, writes an annotated video, the actions JSON, a summary.

Subscribes (relative names) to `image` (the video source's frames, kept serialised and only decoded
when needed), `skeletons`, `actions`, `label_map` and `/diagnostics`. The annotated video is built
here, not from the pose node's `debug_image`, so the pipeline under test runs exactly as in production:
each frame the pose node processed is drawn with its skeletons, track ids and each person's latest
label; a frame the pose node dropped repeats the last drawn one. The video therefore has one frame
per published frame and plays in real time, showing what the pipeline saw.

Gate: the `image` subscription is created only when the pose and action nodes are up; the video source
(wait_for_subscribers: 2) starts publishing once it sees the pose node and this subscription.
End: when the video source has left the graph and no skeletons/actions arrived for `idle_end` seconds,
the node writes its outputs, prints the summary and exits 0 (also on Ctrl-C, with what it has).
"""

from __future__ import annotations

import json
import struct
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.serialization import deserialize_message
from sensor_msgs.msg import Image

from action_recognition.cli.echo import format_actions
from action_recognition.launching.summary import DemoSummary
from action_recognition.msg import ActionArray, LabelMap, SkeletonArray
from action_recognition.nodes import convert
from action_recognition.nodes.message_dict import message_to_dict
from action_recognition.nodes.params import Param, declare
from action_recognition.nodes.qos import label_map_qos
from action_recognition.nodes.run import run_node
from action_recognition.pose.draw import draw_poses
from action_recognition.pose.video_source import VideoSource, VideoSourceError

RECORDER_PARAMS: tuple[Param, ...] = (
    Param("video", "", "the file the video source plays (for its frame rate)"),
    Param("rate", 0.0, "the video source's rate parameter; 0 = the file's frame rate"),
    Param("output", "demo_output", "folder for annotated.mp4, actions.json, summary.json"),
    Param("hold", 0.3, "seconds a processed frame waits for its actions before it is drawn"),
    Param("idle_end", 1.5, "seconds without skeletons/actions after the video source left before ending"),
    Param("print_actions", True, "print each person's action as it arrives"),
)
RELIABLE = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE)
MAX_PENDING_FRAMES = 150  # published frames waiting for the pose node (5 s at 30 fps) before forced out


def ns(stamp: Any) -> int:
    return int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)


def image_stamp_ns(raw: bytes) -> int:
    """header.stamp of a serialised sensor_msgs/Image without decoding its pixels.

    CDR: a 4-byte encapsulation header (byte 1 odd = little endian), then Header.stamp (int32 sec,
    uint32 nanosec): the first fields of an Image.
    """
    sec, nanosec = struct.unpack("<iI" if raw[1] & 1 else ">iI", raw[4:12])
    return sec * 1_000_000_000 + nanosec


@dataclass
class _Pending:
    stamp: int
    raw: bytes
    skeletons: SkeletonArray | None = None
    processed_at: float = 0.0  # monotonic time the skeletons arrived


@dataclass
class _State:
    published: int = 0
    t0: int | None = None
    frames: deque = field(default_factory=deque)  # _Pending in publish order
    by_stamp: dict = field(default_factory=dict)
    early_skeletons: dict = field(default_factory=dict)  # skeletons that beat their image here
    newest_processed: int = -1
    actions_queue: deque = field(default_factory=deque)  # ActionArrays not yet applied to a frame
    labels: dict = field(default_factory=dict)  # track id -> "walk 0.91"
    last_drawn: np.ndarray | None = None
    written: int = 0


class DemoRecorder(Node):
    def __init__(self) -> None:
        super().__init__("demo_recorder")
        self.p = p = declare(self, RECORDER_PARAMS)
        self.out_dir = Path(p["output"])
        self.out_dir.mkdir(parents=True, exist_ok=True)
        if p["rate"] > 0:
            self.fps = float(p["rate"])
        else:
            with VideoSource(p["video"]) as src:
                self.fps = src.fps
        self.summary = DemoSummary(video=p["video"], fps=self.fps)
        self.s = _State()
        self.writer: cv2.VideoWriter | None = None
        self.edges: dict[str, tuple] = {}
        self.started = time.monotonic()
        self.finished = False
        self.source_seen = False
        self.source_left_at: float | None = None
        self.last_activity = time.monotonic()
        self.image_sub = None
        self.action_log: list[dict[str, Any]] = []
        self.label_map: dict[str, Any] | None = None

        self.skel_sub = self.create_subscription(SkeletonArray, "skeletons", self._on_skeletons, RELIABLE)
        self.actions_sub = self.create_subscription(ActionArray, "actions", self._on_actions, RELIABLE)
        self.create_subscription(LabelMap, "label_map", self._on_label_map, label_map_qos())
        self.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 20)
        self.create_timer(0.1, self._tick)
        self.get_logger().info(f"recording to {self.out_dir}; waiting for the pose and action nodes")

    # ---- inputs ----
    def _pipeline_ready(self) -> bool:
        skel = self.skel_sub.topic_name
        return (self.count_publishers(skel) >= 1 and self.count_subscribers(skel) >= 2
                and self.count_publishers(self.actions_sub.topic_name) >= 1)

    def _on_image(self, raw: bytes) -> None:
        stamp = image_stamp_ns(raw)
        s = self.s
        s.published += 1
        if s.t0 is None:
            s.t0 = stamp
        pending = _Pending(stamp, raw)
        early = s.early_skeletons.pop(stamp, None)
        if early is not None:
            pending.skeletons, pending.processed_at = early
        s.frames.append(pending)
        s.by_stamp[stamp] = pending

    def _on_skeletons(self, msg: SkeletonArray) -> None:
        now = time.monotonic()
        self.last_activity = now
        stamp = ns(msg.header.stamp)
        self.summary.add_skeletons(msg, stamp, self._now_ns())
        self.s.newest_processed = max(self.s.newest_processed, stamp)
        pending = self.s.by_stamp.get(stamp)
        if pending is None:
            self.s.early_skeletons[stamp] = (msg, now)
        else:
            pending.skeletons, pending.processed_at = msg, now

    def _on_actions(self, msg: ActionArray) -> None:
        self.last_activity = time.monotonic()
        received = self._now_ns()
        stamp = ns(msg.header.stamp)
        self.action_log.append({"received_ns": received, **message_to_dict(msg)})
        self.summary.add_actions(msg, stamp, received)
        self.s.actions_queue.append((stamp, msg))
        if self.p["print_actions"] and msg.actions:
            print("\n".join(format_actions(msg, f"{self._video_time(stamp):6.2f} s")), flush=True)

    def _on_label_map(self, msg: LabelMap) -> None:
        self.label_map = message_to_dict(msg)

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            if status.hardware_id == "pose_node":
                self.summary.pose_diagnostics = {kv.key: kv.value for kv in status.values}

    def _now_ns(self) -> int:
        return self.get_clock().now().nanoseconds

    def _video_time(self, stamp: int) -> float:
        return (stamp - (self.s.t0 if self.s.t0 is not None else stamp)) / 1e9

    # ---- the loop ----
    def _tick(self) -> None:
        if self.image_sub is None:
            if self._pipeline_ready():
                self.image_sub = self.create_subscription(Image, "image", self._on_image, RELIABLE, raw=True)
                self.get_logger().info("pose and action nodes are up: starting the video")
            return
        publishers = self.count_publishers(self.image_sub.topic_name)
        if publishers:
            self.source_seen = True
        elif self.source_seen and self.source_left_at is None:
            self.source_left_at = time.monotonic()
            self.last_activity = max(self.last_activity, self.source_left_at)
        self._flush(final=False)
        if self.source_left_at is not None:
            idle = time.monotonic() - self.last_activity
            if idle >= self.p["idle_end"] or time.monotonic() - self.source_left_at > 30.0:
                self.finished = True

    def _flush(self, final: bool) -> None:
        """Write every published frame whose fate is known: drawn if processed, else a repeat."""
        s = self.s
        now = time.monotonic()
        while s.frames:
            f = s.frames[0]
            if f.skeletons is not None:
                if not final and now - f.processed_at < self.p["hold"] and s.newest_processed <= f.stamp:
                    break  # its actions may still be on the way
                self._apply_actions(f.stamp)
                s.last_drawn = self._draw(f)
            elif not (final or s.newest_processed > f.stamp or len(s.frames) > MAX_PENDING_FRAMES):
                break  # the pose node may still process it
            elif s.last_drawn is None:  # nothing processed yet: the raw frame, undrawn
                s.last_drawn = self._decode(f.raw)
            self._write(s.last_drawn)
            s.frames.popleft()
            s.by_stamp.pop(f.stamp, None)

    def _apply_actions(self, stamp: int) -> None:
        q = self.s.actions_queue
        while q and q[0][0] <= stamp:
            for a in q.popleft()[1].actions:
                self.s.labels[int(a.track_id)] = f"{a.label} {a.score:.2f}"

    def _decode(self, raw: bytes) -> np.ndarray:
        return convert.image_to_bgr(deserialize_message(raw, Image))

    def _draw(self, f: _Pending) -> np.ndarray:
        image = self._decode(f.raw)
        msg = f.skeletons
        if msg.layout not in self.edges:
            from action_recognition.skeleton import get_layout

            self.edges[msg.layout] = tuple(get_layout(msg.layout).edges) if msg.layout else ()
        persons = convert.msg_to_persons(msg)
        return draw_poses(image, persons, self.edges[msg.layout], self.s.labels, copy=False)

    def _write(self, image: np.ndarray) -> None:
        if self.writer is None:
            h, w = image.shape[:2]
            path = str(self.out_dir / "annotated.mp4")
            self.writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), self.fps, (w, h))
        self.writer.write(image)
        self.s.written += 1

    # ---- the end ----
    def stop(self) -> None:
        """The process is ending (end of the demo, or a signal): write the outputs and the summary."""
        self.finish(stopped_early=not self.finished)

    def finish(self, stopped_early: bool) -> dict[str, Any]:
        self._flush(final=True)
        if self.writer is not None:
            self.writer.release()
        self.summary.published = self.s.published
        self.summary.video_frames_written = self.s.written
        self.summary.wall_s = time.monotonic() - self.started
        self.summary.t0_ns = self.s.t0
        self.summary.stopped_early = stopped_early
        files = {"video": self.out_dir / "annotated.mp4", "actions": self.out_dir / "actions.json",
                 "summary": self.out_dir / "summary.json"}
        if self.writer is None:
            files.pop("video")
        data = {"video": self.p["video"], "fps": self.fps, "t0_ns": self.s.t0, "label_map": self.label_map,
                "actions": self.action_log}
        files["actions"].write_text(json.dumps(data))
        result = self.summary.to_dict()
        result["files"] = {k: str(v) for k, v in files.items()}
        files["summary"].write_text(json.dumps(result, indent=2))
        print(self.summary.render(files), flush=True)
        return result


def main(args: list[str] | None = None) -> int:
    # run_node: quiet stop on SIGINT/SIGTERM (stop() still writes the outputs), fatal bad parameters.
    return run_node(DemoRecorder, "demo_recorder", fatal=(VideoSourceError,),
                    until=lambda node: node.finished, args=args)


if __name__ == "__main__":
    sys.exit(main())
