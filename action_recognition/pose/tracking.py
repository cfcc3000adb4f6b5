"""One id per person across missed detections: an Ultralytics tracker plus two steps after it.

    tracker = PersonTracker("bytetrack_robust.yaml")
    for boxes, keypoints, image, stamp in frames:       # boxes (N, 6): x1 y1 x2 y2 score class
        for det_index, person_id in tracker.update(boxes, keypoints, image, stamp): ...

1. Duplicate suppression (`duplicate_overlap`): a NEW track whose box lies mostly inside another reported
   box (or holds it) with the visible joints on the same places shows a part of that body (e.g. a torso
   found apart from its legs in glare, often with the higher score) and is not reported as a new person.
   Only new tracks are judged: a person already tracked who passes behind someone keeps being reported,
   even where the pose model then puts their joints on the front person's.
2. Re-linking (`relink_s`, `relink_distance`): the tracker matches boxes by overlap with a motion
   prediction, so a person it misses for a while or who moves abruptly (a jump, a fall, leaving at the
   image edge) comes back under a new tracker id. A new id that appears within `relink_s` seconds of a
   person going missing, within `relink_distance` body heights of where they were last seen, continues that
   person. A body height is the largest box side the person has shown so far (a crouch or a tumble shrinks
   the box, not the person). Only missing people are candidates, so a visible person's id is never taken.
   The price: someone who enters where another person left moments ago inherits their id.

Both are off unless the tracker YAML sets them (Ultralytics' own files do not), so `bytetrack.yaml` behaves
exactly as Ultralytics' tracking does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from action_recognition.pose.tracker_config import OWN_FIELDS, load_tracker_config, resolve_tracker

ASSUMED_FPS = 30.0  # frame timing when the caller gives no stamps
_JOINT_SEEN = 0.5  # keypoint score above which a joint counts as visible
_SAME_JOINTS = 0.15  # median joint distance, in box heights, under which two detections show one body
_MIN_SHARED_JOINTS = 3


@dataclass
class _Person:
    box: np.ndarray  # last seen xyxy
    time: float  # when last seen (s)
    size: float  # largest box side seen so far (px): their body height standing, or lying


def _area(box: np.ndarray) -> float:
    return float((box[2] - box[0]) * (box[3] - box[1]))


def _side(box: np.ndarray) -> float:
    return float(max(box[2] - box[0], box[3] - box[1]))


def _iou_inside(small: np.ndarray, big: np.ndarray) -> float:
    """Share of `small`'s area inside `big` (xyxy)."""
    w = min(small[2], big[2]) - max(small[0], big[0])
    h = min(small[3], big[3]) - max(small[1], big[1])
    area = (small[2] - small[0]) * (small[3] - small[1])
    return float(max(w, 0) * max(h, 0) / area) if area > 0 else 0.0


def _same_body(kp_a: np.ndarray, kp_b: np.ndarray, height: float) -> bool:
    seen = (kp_a[:, 2] > _JOINT_SEEN) & (kp_b[:, 2] > _JOINT_SEEN)
    if seen.sum() < _MIN_SHARED_JOINTS or height <= 0:
        return False
    dist = np.linalg.norm(kp_a[seen, :2] - kp_b[seen, :2], axis=1)
    return float(np.median(dist)) <= _SAME_JOINTS * height


def same_body(boxes: np.ndarray, keypoints: np.ndarray | None, a: int, b: int, overlap: float) -> bool:
    """Detections a and b show one body: the smaller box lies mostly inside the larger and their visible
    joints sit on the same places (see the module doc)."""
    if overlap <= 0 or keypoints is None:
        return False
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    small, big = (a, b) if area[a] <= area[b] else (b, a)
    height = float(boxes[small, 3] - boxes[small, 1])
    return (_iou_inside(boxes[small], boxes[big]) >= overlap
            and _same_body(keypoints[small], keypoints[big], height))


class PersonTracker:
    """Detections in, (detection index, person id) out; ids start at 1 and are never reused."""

    def __init__(self, tracker: str | Path = "bytetrack_robust.yaml", device: str = "cpu") -> None:
        self.path = resolve_tracker(tracker)
        settings = load_tracker_config(self.path)
        own = {k: settings.pop(k) for k in list(settings) if k in OWN_FIELDS}
        self.relink_s = float(own.get("relink_s", 0.0))
        self.relink_distance = float(own.get("relink_distance", 0.0))
        self.duplicate_overlap = float(own.get("duplicate_overlap", 0.0))
        self._args = SimpleNamespace(**settings, device=device)
        self.reset()

    def reset(self) -> None:
        """Forget everyone (ids restart at 1)."""
        from ultralytics.trackers.track import TRACKER_MAP

        self._tracker = TRACKER_MAP[self._args.tracker_type](args=self._args)
        self._frames = 0
        self._ids: dict[int, int] = {}  # tracker id -> person id
        self._people: dict[int, _Person] = {}  # recently seen people
        self._next_id = 1
        self._last_time: float | None = None
        self.last_duplicates = np.zeros(0, bool)  # of the last update: detections dropped as parts of others

    def update(self, boxes: np.ndarray, keypoints: np.ndarray | None, image: np.ndarray,
               stamp: float | None = None) -> list[tuple[int, int]]:
        """One frame: `boxes` (N, >=6) x1 y1 x2 y2 score class, `keypoints` (N, V, 3) or None, the BGR image
        (BoT-SORT's camera-motion compensation reads it), `stamp` in seconds (None: frames at 30 fps).
        Every frame must come through here, also frames with nobody, so lost tracks age."""
        from ultralytics.engine.results import Boxes

        now = stamp if stamp is not None else self._frames / ASSUMED_FPS
        if self._last_time is not None and now < self._last_time:
            self._people.clear()  # the clock went back (a looped file or bag): no re-linking across it
        self._last_time = now
        self._frames += 1
        boxes = np.asarray(boxes, np.float32)
        if boxes.ndim != 2 or boxes.shape[1] < 6:
            raise ValueError(f"expected (N, 6+) boxes x1 y1 x2 y2 score class, got shape {boxes.shape}")
        self.last_duplicates = np.zeros(len(boxes), bool)
        rows = self._tracker.update(Boxes(boxes[:, :6], image.shape[:2]), image)
        # rows: x1 y1 x2 y2 tracker_id score class detection_index
        pairs = [(int(r[-1]), int(r[4])) for r in rows]
        out = self._assign(pairs, boxes, keypoints, now) if pairs else []
        self._forget(now)
        return out

    def _prune_ids(self) -> None:
        """Drop the mapping of tracker ids the tracker has removed (a long-running node sees many people)."""
        alive = getattr(self._tracker, "tracked_stracks", None), getattr(self._tracker, "lost_stracks", None)
        if None not in alive:
            ids = {t.track_id for pool in alive for t in pool}
            self._ids = {tid: pid for tid, pid in self._ids.items() if tid in ids}

    def _assign(self, pairs: list[tuple[int, int]], boxes: np.ndarray, keypoints: np.ndarray | None,
                now: float) -> list[tuple[int, int]]:
        taken: dict[int, int] = {}  # person id -> detection
        out: list[tuple[int, int]] = []

        def duplicate(det: int, others) -> bool:
            if any(same_body(boxes, keypoints, det, o, self.duplicate_overlap) for o in others):
                self.last_duplicates[det] = True
                return True
            return False

        known = sorted((p for p in pairs if p[1] in self._ids), key=lambda p: -boxes[p[0], 4])
        for det, tid in known:
            pid = self._ids[tid]
            if pid in taken:  # two tracks claim one person: a part of their body, or a wrong re-link
                if duplicate(det, [taken[pid]]):
                    continue
                pid = self._ids[tid] = self._new_id()
            taken[pid] = det
            out.append((det, pid))
        # New tracks: one showing a part of a body already reported (or of a larger new one) is no one new.
        new, seen = [], [det for det, _ in out]
        unknown = [p for p in pairs if p[1] not in self._ids]
        for det, tid in sorted(unknown, key=lambda p: -_area(boxes[p[0]])):
            if not duplicate(det, seen):
                new.append((det, tid))
                seen.append(det)
        for det, tid, pid in self._relink(new, boxes, set(taken), now):
            self._ids[tid] = pid
            out.append((det, pid))
        for det, pid in out:
            box = boxes[det, :4].copy()
            size = max(_side(box), self._people[pid].size if pid in self._people else 0.0)
            self._people[pid] = _Person(box, now, size)
        return sorted(out)

    def _relink(self, new: list[tuple[int, int]], boxes: np.ndarray, taken: set[int],
                now: float) -> list[tuple[int, int, int]]:
        """New tracker ids -> the nearest missing person within reach (nearest first), else new ids."""
        options = []
        if self.relink_s > 0:
            for n, (det, _) in enumerate(new):
                for pid, p in self._people.items():
                    if pid in taken or now - p.time > self.relink_s:
                        continue
                    d = _distance_in_heights(boxes[det, :4], p)
                    if d <= self.relink_distance:
                        options.append((d, n, pid))
        linked: dict[int, int] = {}
        used: set[int] = set()
        for _, n, pid in sorted(options):
            if n not in linked and pid not in used:
                linked[n] = pid
                used.add(pid)
        return [(det, tid, linked[n] if n in linked else self._new_id()) for n, (det, tid) in enumerate(new)]

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def _forget(self, now: float) -> None:
        self._prune_ids()
        for pid in [pid for pid, p in self._people.items() if now - p.time > self.relink_s]:
            del self._people[pid]


def _distance_in_heights(box: np.ndarray, person: _Person) -> float:
    """Distance from where `person` was last seen to `box` (centres), in the larger of their body sizes."""
    centre, last = (box[:2] + box[2:]) / 2, (person.box[:2] + person.box[2:]) / 2
    return float(np.linalg.norm(centre - last) / max(person.size, _side(box), 1e-6))
