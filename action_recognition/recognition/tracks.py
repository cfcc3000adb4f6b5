"""Per-track windows of skeleton frames with bounded memory.

Time is the message stamp (nanoseconds), not the wall clock, so replaying a bag at any rate gives the
same windows, gaps and expiries as the live run did.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class PersonFrame:
    """One person in one frame: coordinates (V, C) (x, y[, z]) and confidences (V,)."""

    track_id: int
    coords: np.ndarray
    scores: np.ndarray


@dataclass
class FrameStats:
    """What `TrackTable.add_frame` kept and dropped, for counters and log lines."""

    accepted: int = 0
    stale_frame: bool = False  # stamp older than or equal to the newest one seen: whole frame dropped
    duplicate_frame: bool = False
    wrong_joint_count: int = 0
    duplicate_track_in_frame: int = 0
    non_finite_joints: int = 0
    restarted_tracks: list[int] = field(default_factory=list)
    evicted_tracks: list[int] = field(default_factory=list)


@dataclass
class Track:
    """The newest `window` frames of one track id."""

    track_id: int
    window: int
    stamps: deque = field(init=False)
    coords: deque = field(init=False)
    scores: deque = field(init=False)
    image_size: tuple[int, int] = (0, 0)  # (width, height) of the newest frame
    frames_since_inference: int = 0
    total_frames: int = 0

    def __post_init__(self) -> None:
        self.stamps = deque(maxlen=self.window)
        self.coords = deque(maxlen=self.window)
        self.scores = deque(maxlen=self.window)

    def __len__(self) -> int:
        return len(self.stamps)

    @property
    def last_stamp(self) -> int:
        return self.stamps[-1]

    def append(
        self, stamp_ns: int, coords: np.ndarray, scores: np.ndarray, image_size: tuple[int, int]
    ) -> None:
        self.stamps.append(stamp_ns)
        self.coords.append(coords)
        self.scores.append(scores)
        self.image_size = image_size
        self.frames_since_inference += 1
        self.total_frames += 1

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(stamps (T,), coords (T, V, C), scores (T, V)) oldest first."""
        return np.asarray(self.stamps, dtype=np.int64), np.stack(self.coords), np.stack(self.scores)


class TrackTable:
    """Windows of the last `window` frames per track id.

    - Frames must come with increasing stamps; an older or equal stamp drops the whole frame (counted).
    - A track id unseen for more than `timeout_ns` restarts empty when it reappears: after such a gap
      the tracker may have given the id to someone else, and stitching two people would mislabel both.
    - `expire()` drops tracks not seen for `timeout_ns` (by the newest stamp); at most `max_tracks`
      are kept, the least recently seen evicted first, so memory is bounded whatever the input.
    """

    def __init__(self, num_joints: int, window: int, timeout_ns: int, max_tracks: int) -> None:
        if window < 1 or max_tracks < 1 or timeout_ns <= 0:
            raise ValueError("window, max_tracks and timeout must be positive")
        self.num_joints = num_joints
        self.window = window
        self.timeout_ns = timeout_ns
        self.max_tracks = max_tracks
        self.tracks: OrderedDict[int, Track] = OrderedDict()  # least recently seen first
        self.newest_stamp: int | None = None

    def __len__(self) -> int:
        return len(self.tracks)

    def add_frame(self, stamp_ns: int, persons: list[PersonFrame], image_size: tuple[int, int]) -> FrameStats:
        stats = FrameStats()
        if self.newest_stamp is not None and stamp_ns <= self.newest_stamp:
            stats.stale_frame = stamp_ns < self.newest_stamp
            stats.duplicate_frame = stamp_ns == self.newest_stamp
            return stats
        self.newest_stamp = stamp_ns
        seen: set[int] = set()
        for person in persons:
            if person.coords.shape[0] != self.num_joints or person.scores.shape[0] != self.num_joints:
                stats.wrong_joint_count += 1
                continue
            if person.track_id in seen:  # one id twice in a frame: keep the first
                stats.duplicate_track_in_frame += 1
                continue
            seen.add(person.track_id)
            coords, scores, bad = _clean(person.coords, person.scores)
            stats.non_finite_joints += bad
            track = self.tracks.get(person.track_id)
            if track is not None and stamp_ns - track.last_stamp > self.timeout_ns:
                stats.restarted_tracks.append(person.track_id)
                track = None
            if track is None:
                track = Track(person.track_id, self.window)
            self.tracks[person.track_id] = track
            self.tracks.move_to_end(person.track_id)
            track.append(stamp_ns, coords, scores, image_size)
            stats.accepted += 1
        while len(self.tracks) > self.max_tracks:
            evicted, _ = self.tracks.popitem(last=False)
            stats.evicted_tracks.append(evicted)
        return stats

    def expire(self) -> list[int]:
        """Drop tracks whose newest frame is more than timeout older than the newest stamp seen."""
        if self.newest_stamp is None:
            return []
        gone = [tid for tid, t in self.tracks.items() if self.newest_stamp - t.last_stamp > self.timeout_ns]
        for tid in gone:
            del self.tracks[tid]
        return gone

    def due(self, min_frames: int, stride: int) -> list[Track]:
        """Tracks with at least `min_frames` frames and `stride` new frames since their last inference.

        A track that just left the view is still labelled for the frames it had; it is not labelled
        again without new frames.
        """
        return [
            t for t in self.tracks.values() if len(t) >= min_frames and t.frames_since_inference >= stride
        ]


def _clean(coords: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """NaN/inf joints become missing joints (coordinates 0, score 0), as the estimator reports them."""
    coords = np.asarray(coords, dtype=np.float32)
    scores = np.asarray(scores, dtype=np.float32)
    bad = ~(np.isfinite(coords).all(axis=1) & np.isfinite(scores))
    if bad.any():
        coords = coords.copy()
        scores = scores.copy()
        coords[bad] = 0.0
        scores[bad] = 0.0
    return coords, scores, int(bad.sum())
