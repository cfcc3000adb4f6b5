"""Ground-truth segments: what a person really does between two source stamps.

A segment becomes one `action_recognition/msg/GroundTruth` message in a bag. Video annotations come
from a CSV in one of two shapes (times relative to the video's first frame):

    start,end,label[,track_id]   seconds, one row per segment (end inclusive)
    frame,label[,track_id]       one row per frame (0-based); runs of one label become segments

`track_id` -1 (or no column) means every person in the frame.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GROUND_TRUTH_TYPE = "action_recognition/msg/GroundTruth"
EVERY_PERSON = -1


class AnnotationError(ValueError):
    """An annotation file that cannot be read; the message names the file and row."""


@dataclass(frozen=True)
class Segment:
    track_id: int  # -1 = every person in the frame
    class_id: int  # -1 = not one of the classes (never counted as correct or wrong)
    label: str
    start_ns: int  # source stamps, inclusive
    end_ns: int
    name: str = ""

    def covers(self, track_id: int, stamp_ns: int) -> bool:
        return (self.track_id in (EVERY_PERSON, track_id)) and self.start_ns <= stamp_ns <= self.end_ns


def _time(ns: int, time_cls: Any) -> Any:
    return time_cls(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)


def segment_to_rosbags(seg: Segment, classes: Sequence[str], frame_id: str, store: Any) -> Any:
    """The segment as a rosbags GroundTruth object (to serialise with the same type store)."""
    t = store.types
    time_cls = t["builtin_interfaces/msg/Time"]
    header = t["std_msgs/msg/Header"](stamp=_time(seg.start_ns, time_cls), frame_id=frame_id)
    return t[GROUND_TRUTH_TYPE](
        header=header,
        track_id=seg.track_id,
        class_id=seg.class_id,
        label=seg.label,
        start=_time(seg.start_ns, time_cls),
        end=_time(seg.end_ns, time_cls),
        segment=seg.name,
        classes=list(classes),
    )


def segment_from_message(msg: Any) -> Segment:
    """Works for both rosbags' and rclpy's GroundTruth objects (same field names)."""
    return Segment(
        track_id=int(msg.track_id),
        class_id=int(msg.class_id),
        label=str(msg.label),
        start_ns=int(msg.start.sec) * 1_000_000_000 + int(msg.start.nanosec),
        end_ns=int(msg.end.sec) * 1_000_000_000 + int(msg.end.nanosec),
        name=str(msg.segment),
    )


def _class_id(label: str, classes: list[str], where: str) -> int:
    if label not in classes:
        raise AnnotationError(f"{where}: label {label!r} is not one of the classes {classes}")
    return classes.index(label)


def read_annotations(
    path: str | Path, classes: list[str] | None, fps: float, num_frames: int, start_ns: int, name: str
) -> tuple[list[Segment], list[str]]:
    """Segments of a video's annotation CSV, stamped like its frames (start_ns + index / fps).

    `classes` fixes the class ids; None = the labels in order of first appearance.
    """
    path = Path(path)
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise AnnotationError(f"{path}: no rows (expected a header and start,end,label or frame,label rows)")
    cols = set(rows[0])
    if {"start", "end", "label"} <= cols:
        per_frame = False
    elif {"frame", "label"} <= cols:
        per_frame = True
    else:
        raise AnnotationError(f"{path}: columns {sorted(cols)}; need start,end,label or frame,label")
    known = list(classes) if classes is not None else []
    frame_ns = 1e9 / fps

    def stamp(frame: float) -> int:
        return start_ns + round(frame * frame_ns)

    parsed: list[tuple[int, float, float, str]] = []  # track, first frame, last frame, label
    for i, row in enumerate(rows, start=2):  # row 1 is the header
        where = f"{path}:{i}"
        label = (row.get("label") or "").strip()
        if not label:
            raise AnnotationError(f"{where}: empty label")
        if classes is None and label not in known:
            known.append(label)
        try:
            track = int(row.get("track_id") or EVERY_PERSON)
            if per_frame:
                first = last = float(int(row["frame"]))
            else:
                first, last = float(row["start"]) * fps, float(row["end"]) * fps
        except ValueError as exc:
            raise AnnotationError(f"{where}: {exc}") from None
        if last < first or first < 0:
            raise AnnotationError(f"{where}: segment ends before it starts or starts before 0")
        if num_frames and first >= num_frames:
            raise AnnotationError(f"{where}: starts after the video's last frame ({num_frames - 1})")
        parsed.append((track, first, last, label))
    if per_frame:
        parsed = _runs(parsed)
    segments = [
        Segment(track, _class_id(label, known, str(path)), label, stamp(first), stamp(last), f"{name}#{k}")
        for k, (track, first, last, label) in enumerate(parsed)
    ]
    return segments, known


def _runs(rows: list[tuple[int, float, float, str]]) -> list[tuple[int, float, float, str]]:
    """Per-frame rows -> one segment per run of consecutive frames with one track and label."""
    out: list[tuple[int, float, float, str]] = []
    for track, frame, _, label in sorted(rows, key=lambda r: (r[0], r[1])):
        if out and out[-1][0] == track and out[-1][3] == label and frame == out[-1][2] + 1:
            out[-1] = (track, out[-1][1], frame, label)
        else:
            out.append((track, frame, frame, label))
    return sorted(out, key=lambda r: (r[1], r[0]))
