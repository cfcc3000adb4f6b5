"""Per-track windows of skeleton frames, resampled to the model's frame rate, with bounded memory.

Time is the message stamp (nanoseconds), not the wall clock, so replaying a bag at any rate gives the
same windows, gaps and expiries as the live run did. Every track's frames are resampled onto one grid
at the model's training rate (`features/resample.py`), so a window is a fixed span of time whatever the
camera's frame rate or its dropped frames.

Stamps can jump: a bag restarting its loop, a sim-time reset, a camera clock corrected, one frame
stamped a day ahead. A frame that breaks the run of stamps (older than the newest, or newer by more
than the track timeout) is held back, not applied: the next frame decides. If it continues the held
frame's new timeline, the clock jumped: every window restarts and both frames are used. If it
continues the old timeline, the held frame was a stray and is dropped. So one bad stamp costs one
frame, and a real jump costs the windows it made meaningless, never the input after it. (A forward
jump looks like a pause in the input longer than the timeout; either way tracks restart.)
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

import numpy as np

from action_recognition.features.resample import FrameGrid, TrackResampler

MAX_ABS_COORD = 1e6  # beyond any image (pixels) or room (metres): such a joint is treated as missing
MAX_IMAGE_SIDE = 16384  # pixels; a larger reported image size is not believed
IMAGE_MARGIN = 0.5  # visible joints may lie this share of the image size outside it (cut-off people)


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
    duplicate_frame: bool = False  # the same stamp as the newest (or the held) frame: dropped
    held_frame: bool = False  # this frame broke the run of stamps: held until the next one decides
    dropped_held: int = 0  # earlier held frames found to be strays (out of order or mis-stamped)
    clock_jump_ns: int | None = None  # a jump confirmed by this frame: new stamps minus the old newest
    wrong_joint_count: int = 0
    duplicate_track_in_frame: int = 0
    non_finite_joints: int = 0  # NaN/inf or absurdly large coordinates: treated as missing joints
    image_size_invalid: bool = False  # size 0, huge, or not fitting the skeletons: normalised without it
    restarted_tracks: list[int] = field(default_factory=list)
    evicted_tracks: list[int] = field(default_factory=list)

    @property
    def dropped(self) -> bool:
        """Whether this frame's people were not (or not yet) used."""
        return self.duplicate_frame or self.held_frame

    def merge(self, other: FrameStats) -> None:
        """Add the counts of a frame applied in the same call (a held frame released by this one)."""
        self.accepted += other.accepted
        self.wrong_joint_count += other.wrong_joint_count
        self.duplicate_track_in_frame += other.duplicate_track_in_frame
        self.non_finite_joints += other.non_finite_joints
        self.image_size_invalid |= other.image_size_invalid
        self.restarted_tracks += other.restarted_tracks
        self.evicted_tracks += other.evicted_tracks


@dataclass
class Track:
    """The newest `window` grid frames of one track id (grid stamps, oldest first)."""

    track_id: int
    window: int
    grid: FrameGrid
    stamps: deque = field(init=False)
    coords: deque = field(init=False)
    scores: deque = field(init=False)
    image_size: tuple[int, int] = (0, 0)  # (width, height) of the newest frame; (0, 0) = not known
    frames_since_inference: int = 0  # grid frames added since the last inference
    total_frames: int = 0  # input frames of this track
    last_stamp: int = 0  # stamp of the newest input frame (not a grid stamp)
    smoothed: np.ndarray | None = None  # the recognizer's moving average of this track's probabilities

    def __post_init__(self) -> None:
        self.stamps = deque(maxlen=self.window)
        self.coords = deque(maxlen=self.window)
        self.scores = deque(maxlen=self.window)
        self._resampler = TrackResampler(self.grid)

    def __len__(self) -> int:
        return len(self.stamps)

    def append(
        self, stamp_ns: int, coords: np.ndarray, scores: np.ndarray, image_size: tuple[int, int]
    ) -> int:
        """Add one input frame; returns how many grid frames it completed."""
        stamps, grid_coords, grid_scores = self._resampler.push(stamp_ns, coords, scores, self.window)
        self.stamps.extend(stamps)
        self.coords.extend(grid_coords)
        self.scores.extend(grid_scores)
        self.image_size = image_size
        self.last_stamp = stamp_ns
        self.frames_since_inference += len(stamps)
        self.total_frames += 1
        return len(stamps)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(grid stamps (T,), coords (T, V, C), scores (T, V)) oldest first."""
        return np.asarray(self.stamps, dtype=np.int64), np.stack(self.coords), np.stack(self.scores)


@dataclass
class _Held:
    stamp: int
    persons: list[PersonFrame]
    image_size: tuple[int, int]


class TrackTable:
    """Windows of the last `window` grid frames (at `fps`) per track id.

    An implausible image size (see `_plausible_image_size`) is stored as (0, 0), "not known": the
    recognizer then normalises by the skeletons' own extent.

    - Stamps must increase; see the module doc for frames that break the run (clock jumps, strays).
    - A track id unseen for more than `timeout_ns` restarts empty when it reappears: after such a gap
      the tracker may have given the id to someone else, and stitching two people would mislabel both.
    - `expire()` drops tracks not seen for `timeout_ns` (by the newest stamp); at most `max_tracks`
      are kept, the least recently seen evicted first, so memory is bounded whatever the input.
    """

    def __init__(
        self,
        num_joints: int,
        window: int,
        timeout_ns: int,
        max_tracks: int,
        fps: float = 30.0,
        check_image_size: bool = True,
    ) -> None:
        if window < 1 or max_tracks < 1 or timeout_ns <= 0:
            raise ValueError("window, max_tracks and timeout must be positive")
        self.num_joints = num_joints
        self.window = window
        self.timeout_ns = timeout_ns
        self.max_tracks = max_tracks
        self.grid = FrameGrid(fps)
        self.check_image_size = check_image_size  # 2D models normalise by it; 3D ones never look at it
        self.tracks: OrderedDict[int, Track] = OrderedDict()  # least recently seen first
        self.newest_stamp: int | None = None  # newest stamp of the current timeline
        self._held: _Held | None = None

    def __len__(self) -> int:
        return len(self.tracks)

    def add_frame(self, stamp_ns: int, persons: list[PersonFrame], image_size: tuple[int, int]) -> FrameStats:
        stats = FrameStats()
        newest, held = self.newest_stamp, self._held
        if newest is None:
            return self._apply(stamp_ns, persons, image_size, stats)
        if stamp_ns == newest or (held is not None and stamp_ns == held.stamp):
            stats.duplicate_frame = True
            return stats
        if newest < stamp_ns <= newest + self.timeout_ns:  # the stream goes on: a held frame was a stray
            if held is not None:
                stats.dropped_held += 1
                self._held = None
            return self._apply(stamp_ns, persons, image_size, stats)
        if held is not None and held.stamp < stamp_ns <= held.stamp + self.timeout_ns:
            # Two frames agree on the new timeline: the clock jumped (or, forward, input paused).
            stats.clock_jump_ns = held.stamp - newest
            if held.stamp < newest:  # back: windows from before would run backwards in time
                stats.restarted_tracks += list(self.tracks)
                self.tracks.clear()
            # forward: every track is older than the timeout now and restarts when it is seen again
            self.newest_stamp, self._held = None, None
            self._apply(held.stamp, held.persons, held.image_size, stats)
            return self._apply(stamp_ns, persons, image_size, stats)
        if held is not None:
            stats.dropped_held += 1
        self._held = _Held(stamp_ns, persons, image_size)
        stats.held_frame = True
        return stats

    def _apply(
        self, stamp_ns: int, persons: list[PersonFrame], image_size: tuple[int, int], stats: FrameStats
    ) -> FrameStats:
        frame = FrameStats()
        self.newest_stamp = stamp_ns
        seen: set[int] = set()
        kept: list[tuple[int, np.ndarray, np.ndarray]] = []
        for person in persons:
            if person.coords.shape[0] != self.num_joints or person.scores.shape[0] != self.num_joints:
                frame.wrong_joint_count += 1
                continue
            if person.track_id in seen:  # one id twice in a frame: keep the first
                frame.duplicate_track_in_frame += 1
                continue
            seen.add(person.track_id)
            coords, scores, bad = _clean(person.coords, person.scores)
            frame.non_finite_joints += bad
            kept.append((person.track_id, coords, scores))
        if self.check_image_size and not _plausible_image_size(image_size, kept):
            frame.image_size_invalid = True
            image_size = (0, 0)
        for track_id, coords, scores in kept:
            track = self.tracks.get(track_id)
            if track is not None and stamp_ns - track.last_stamp > self.timeout_ns:
                frame.restarted_tracks.append(track_id)
                track = None
            if track is None:
                track = Track(track_id, self.window, self.grid)
            self.tracks[track_id] = track
            self.tracks.move_to_end(track_id)
            track.append(stamp_ns, coords, scores, image_size)
            frame.accepted += 1
        while len(self.tracks) > self.max_tracks:
            evicted, _ = self.tracks.popitem(last=False)
            frame.evicted_tracks.append(evicted)
        stats.merge(frame)
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
        """Tracks with at least `min_frames` grid frames and `stride` new ones since their last inference.

        A track that just left the view is still labelled for the frames it had; it is not labelled
        again without new frames.
        """
        return [
            t for t in self.tracks.values() if len(t) >= min_frames and t.frames_since_inference >= stride
        ]


def _clean(coords: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """NaN/inf (or absurdly large) joints become missing joints (coordinates 0, score 0), as the
    estimator reports them. Large finite values would overflow inside the model into NaN."""
    coords = np.asarray(coords, dtype=np.float32)
    scores = np.asarray(scores, dtype=np.float32)
    if np.abs(coords).max(initial=0.0) <= MAX_ABS_COORD and np.abs(scores).max(initial=0.0) <= MAX_ABS_COORD:
        return coords, scores, 0  # the usual case, in two reductions (NaN compares False)
    with np.errstate(invalid="ignore"):
        good = (np.abs(coords) <= MAX_ABS_COORD).all(axis=1) & (np.abs(scores) <= MAX_ABS_COORD)
    bad = ~good
    if bad.any():
        coords = coords.copy()
        scores = scores.copy()
        coords[bad] = 0.0
        scores[bad] = 0.0
    return coords, scores, int(bad.sum())


def _plausible_image_size(
    image_size: tuple[int, int], persons: list[tuple[int, np.ndarray, np.ndarray]]
) -> bool:
    """Whether (width, height) can be the image these skeletons were found in.

    0x0 (not reported), sides over MAX_IMAGE_SIDE, or visible joints far outside the image all say
    no: normalising by such a size would squash or blow up the motion the model sees.
    """
    width, height = image_size
    if not (0 < width <= MAX_IMAGE_SIDE and 0 < height <= MAX_IMAGE_SIDE):
        return False
    if not persons:
        return True
    coords = np.stack([c[:, :2] for _, c, _ in persons])  # (P, V, 2): one pass for the whole frame
    seen = np.stack([s for _, _, s in persons]) > 0
    x, y = coords[..., 0][seen], coords[..., 1][seen]
    if not len(x):
        return True
    return bool(
        x.min() >= -IMAGE_MARGIN * width
        and x.max() <= (1 + IMAGE_MARGIN) * width
        and y.min() >= -IMAGE_MARGIN * height
        and y.max() <= (1 + IMAGE_MARGIN) * height
    )
