"""Online action recognition: per-track windows in, one batched ST-GCN++ forward per round, labels out."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from action_recognition.features.formatting import average_clips
from action_recognition.features.normalize import DEFAULT_IMG_SHAPE
from action_recognition.features.pipeline import sample_to_clips
from action_recognition.model.backends import InferenceBackend
from action_recognition.model.spec import ModelSpec
from action_recognition.recognition.tracks import FrameStats, PersonFrame, Track, TrackTable

UNKNOWN_LABEL = "unknown"


@dataclass
class RecognizerConfig:
    """How windows are kept and when they are classified (the action node's parameters).

    Times are seconds of stream time (message stamps). Every track is resampled to the model's frame
    rate (ModelSpec.fps) first, so the frame counts they resolve to (`window`, `min_frames`,
    `stride`, set by `resolved`) are frames of that rate, whatever the camera's rate.

    window_s: span kept per track; 0 = the model's window (ModelSpec.window_seconds).
    min_window_s: span a track needs before its first label; 0 = half the window. Shorter windows
        are sampled the way PYSKL samples short clips (a looping run of frames), never zero-padded.
    stride_s: new stream time of a track between two of its inferences; 0 = every new frame.
    persons_per_sample: 1, or 2 = the track plus its nearest other person (two-person actions).
    smoothing: weight of the previous probabilities in an exponential moving average (0 = off).
    score_threshold: below this top probability the label is "unknown" (class id -1).
    track_timeout: seconds (by message stamps) after which an unseen track is dropped.
    max_tracks: tracks kept at most; the least recently seen is evicted first.
    max_batch: tracks per forward pass at most (bounds latency and memory in a crowd).
    """

    window_s: float = 0.0
    min_window_s: float = 0.0
    stride_s: float = 0.167  # 5 frames at 30 fps (the node parameter's default)
    persons_per_sample: int = 1
    smoothing: float = 0.0
    score_threshold: float = 0.0
    track_timeout: float = 2.0
    max_tracks: int = 50
    max_batch: int = 32
    # Frames at the model's rate, filled in by `resolved` (not settings).
    window: int = field(default=0, init=False)
    min_frames: int = field(default=0, init=False)
    stride: int = field(default=0, init=False)
    fps: float = field(default=0.0, init=False)

    def resolved(self, spec: ModelSpec) -> RecognizerConfig:
        for name in ("window_s", "min_window_s", "stride_s"):
            value = getattr(self, name)
            if not 0.0 <= value < 3600.0:
                raise ValueError(f"{name} must be in [0, 3600) seconds, got {value}")
        if self.persons_per_sample not in (1, 2):
            raise ValueError(f"persons_per_sample must be 1 or 2, got {self.persons_per_sample}")
        if not 0.0 <= self.smoothing < 1.0:
            raise ValueError(f"smoothing must be in [0, 1), got {self.smoothing}")
        if not self.track_timeout > 0 or self.max_batch < 1 or self.max_tracks < 1:
            raise ValueError("track_timeout, max_batch and max_tracks must be positive")
        out = dataclasses.replace(self)
        out.fps = spec.fps
        out.window = max(1, round(self.window_s * spec.fps)) if self.window_s else spec.window_frames
        out.min_frames = max(1, round(self.min_window_s * spec.fps)) if self.min_window_s else max(
            1, out.window // 2
        )
        out.stride = max(1, round(self.stride_s * spec.fps))
        if out.min_frames > out.window:
            raise ValueError(
                f"min_window_s ({self.min_window_s} s) exceeds the window "
                f"({out.window / spec.fps:.2f} s)"
            )
        return out


@dataclass
class ActionResult:
    track_id: int
    class_id: int  # -1 when below the score threshold
    label: str
    score: float
    probabilities: np.ndarray  # (K,) in label order
    window_start_ns: int
    window_end_ns: int
    num_frames: int


@dataclass
class PendingBatch:
    """Model input for some due tracks, cut from their windows, waiting for its forward pass.

    It may wait behind other batches (a node that fell behind its input): it holds the tracks
    themselves, so `finish` smooths each track's results in order even if the track has ended or
    restarted meanwhile, exactly as if it had run at once.
    """

    clips: np.ndarray
    track_ids: list[int]
    windows: list[tuple[int, int, int]]  # (first grid stamp, newest input stamp, grid frames) per track
    tracks: list[Track] = field(default_factory=list, repr=False)


class ActionRecognizer:
    """Feed frames with `add_frame`, call `step` to classify every track that is due."""

    def __init__(
        self,
        backend: InferenceBackend,
        spec: ModelSpec,
        labels: list[str],
        config: RecognizerConfig | None = None,
    ) -> None:
        if len(labels) != spec.num_classes:
            raise ValueError(f"{len(labels)} labels for a model of {spec.num_classes} classes")
        self.backend = backend
        self.spec = spec
        self.labels = list(labels)
        self.layout = spec.skeleton()
        self.config = (config or RecognizerConfig()).resolved(spec)
        self.tracks = TrackTable(
            self.layout.num_joints,
            self.config.window,
            int(self.config.track_timeout * 1e9),
            self.config.max_tracks,
            fps=spec.fps,
            check_image_size=spec.normalization == "2d",
        )
        # The backbone sees each person on its own and the head is linear after the mean over persons,
        # so a zero-padded person adds the same logits to every sample: compute them once and feed
        # only the real person (half the work for a model trained with num_person 2).
        self._pad_persons = spec.num_person - 1 if self.config.persons_per_sample == 1 else 0
        if self._pad_persons:
            zero = np.zeros((1, 1, spec.clip_len, self.layout.num_joints, spec.in_channels), np.float32)
            self._zero_logits = backend.predict(zero)[0]
        self.inferences = 0
        self.windows_classified = 0
        self.waiting = 0  # due tracks a spread `prepare` left for the next round
        self._last_round_stamp: int | None = None
        self.non_finite_results = 0  # results withheld because the model gave NaN/inf

    def reconfigure(self, config: RecognizerConfig) -> None:
        """Apply changed settings at run time (stride, threshold, ...); windows kept so far stay.

        The window span and track limits are fixed at construction (they size the track table).
        """
        resolved = config.resolved(self.spec)
        if resolved.window > self.config.window:
            raise ValueError("the window cannot grow at run time")
        self.config = resolved

    def add_frame(self, stamp_ns: int, persons: list[PersonFrame], image_size: tuple[int, int]) -> FrameStats:
        return self.tracks.add_frame(stamp_ns, persons, image_size)

    def feed(
        self, stamp_ns: int, persons: list[PersonFrame], image_size: tuple[int, int], spread: bool = False
    ) -> list[ActionResult]:
        """One message the way the action node runs it in stride mode: `add_frame`, then a round
        (`step`) only when the frame added people (not for an empty, duplicate or held frame).

        The node defers a round it cannot run at once but never changes it, so this is what the
        node publishes for the same messages, however slow it is (the offline reference).
        """
        stats = self.add_frame(stamp_ns, persons, image_size)
        return self.step(spread) if stats.accepted else []

    def step(self, spread: bool = False) -> list[ActionResult]:
        """Expire old tracks, then classify the due tracks in batched forward passes (see `prepare`)."""
        return [
            r
            for batch in self.prepare(spread)
            for r in self.finish(batch, self.backend.predict(batch.clips))
        ]

    def prepare(self, spread: bool = False) -> list[PendingBatch]:
        """Expire old tracks and cut the due windows into batches of model input (cheap).

        With `finish`, lets a caller run the forward pass outside its lock while new frames arrive.
        spread: take at most `round_size()` due tracks, the longest-waiting first; the others stay due
            (`waiting`) for the next call. Tracks that became due together then settle into different
            phases of the stride, so a live stream's rounds each carry about tracks/stride of them and
            latency stays flat as people are added, instead of every stride-th frame carrying all.
        """
        self.tracks.expire()
        due = self.tracks.due(self.config.min_frames, self.config.stride)
        self.waiting = 0
        newest, last = self.tracks.newest_stamp, self._last_round_stamp
        self._last_round_stamp = newest
        # Grid frames since the last round: a 10 fps camera (or a slow round) brings several at once.
        elapsed = 1 if newest is None or last is None else round((newest - last) / self.tracks.grid.period_ns)
        if spread and len(due) > (size := self.round_size(max(1, elapsed))):
            due.sort(key=lambda t: -t.frames_since_inference)  # stable: ties keep the table's order
            due, self.waiting = due[:size], len(due) - size
        for t in due:
            t.frames_since_inference = 0
        return self.cut(due)

    def cut(self, tracks: list[Track]) -> list[PendingBatch]:
        """Batches of model input from these tracks' current windows (their due state unchanged)."""
        batches = []
        for start in range(0, len(tracks), self.config.max_batch):
            part = tracks[start : start + self.config.max_batch]
            batches.append(
                PendingBatch(
                    clips=np.concatenate([self._clips(t) for t in part]),  # (B * num_clips, M', T, V, C)
                    track_ids=[t.track_id for t in part],
                    # the window ends at the newest input stamp, so callers can match it to their messages
                    windows=[(int(t.stamps[0]), int(t.last_stamp), len(t)) for t in part],
                    tracks=list(part),
                )
            )
        return batches

    def merge(self, late: list[PendingBatch]) -> tuple[list[PendingBatch], int]:
        """Batches that label each track of these late batches once, on its newest window, and how
        many of their windows that leaves unlabelled (tracks gone since count in full). For a caller
        too far behind to run every late round (bounded latency instead of every window)."""
        tracks = list({id(t): t for b in late for t in b.tracks}.values())  # each track once, in order
        live = [t for t in tracks if self.tracks.tracks.get(t.track_id) is t]
        return self.cut(live), sum(len(b.track_ids) for b in late) - len(live)

    def round_size(self, grid_frames: int = 1) -> int:
        """Tracks per round that keep every labelled track on its stride when a round comes every
        `grid_frames` frames of the model's rate: ceil(labelled * grid_frames / stride)."""
        labelled = sum(len(t) >= self.config.min_frames for t in self.tracks.tracks.values())
        return max(1, -(-labelled * grid_frames // self.config.stride))

    def finish(self, batch: PendingBatch, logits: np.ndarray) -> list[ActionResult]:
        """Turn a batch's logits into results (clip averaging, smoothing, threshold)."""
        if self._pad_persons:  # add back the zero-padded persons' share of the mean over persons
            logits = (logits + self._pad_persons * self._zero_logits) / (self._pad_persons + 1)
        probs = average_clips(logits, self.spec.num_clips)  # (B, K): mean of per-clip softmax, as PYSKL
        self.inferences += 1
        self.windows_classified += len(batch.track_ids)
        results = []
        tracks = batch.tracks or [None] * len(batch.track_ids)
        for track_id, track, (start_ns, end_ns, frames), p in zip(
            batch.track_ids, tracks, batch.windows, probs, strict=True
        ):
            if not np.isfinite(p).all():  # never publish NaN: count it, keep the track's past state
                self.non_finite_results += 1
                continue
            p = self._smooth(track, p)
            best = int(np.argmax(p))
            # a model's own `unknown` class (trained on other actions) is published as unknown too
            known = p[best] >= self.config.score_threshold and self.labels[best] != UNKNOWN_LABEL
            results.append(
                ActionResult(
                    track_id=track_id,
                    class_id=best if known else -1,
                    label=self.labels[best] if known else UNKNOWN_LABEL,
                    score=float(p[best]),
                    probabilities=p.astype(np.float32),
                    window_start_ns=start_ns,
                    window_end_ns=end_ns,
                    num_frames=frames,
                )
            )
        return results

    def _smooth(self, track: Track | None, probs: np.ndarray) -> np.ndarray:
        """The moving average lives on the track: a restarted, expired or evicted id starts afresh."""
        if track is None:
            return probs
        alpha = self.config.smoothing
        if alpha > 0 and track.smoothed is not None:
            probs = alpha * track.smoothed + (1 - alpha) * probs
        track.smoothed = probs
        return probs

    def _clips(self, track: Track) -> np.ndarray:
        stamps, coords, scores = track.arrays()
        keypoint, keypoint_score = coords[None], scores[None]
        if self.config.persons_per_sample == 2:
            partner = self._partner(track)
            if partner is not None:
                p_coords, p_scores = _aligned(partner, stamps)
                keypoint = np.stack([coords, p_coords])
                keypoint_score = np.stack([scores, p_scores])
        width, height = track.image_size
        if self.spec.normalization == "2d" and not (width > 0 and height > 0):
            keypoint, (height, width) = frame_by_extent(keypoint, keypoint_score)
        sample = {"keypoint": keypoint, "keypoint_score": keypoint_score, "img_shape": (height, width)}
        clips = sample_to_clips(sample, self.spec, test_mode=True, layout=self.layout)
        return clips[:, :1] if self._pad_persons else clips

    def _partner(self, track: Track) -> Track | None:
        """The other person in the newest frame whose skeleton centre is nearest to this track's."""
        centre = _centre(track.coords[-1], track.scores[-1])
        best, best_dist = None, np.inf
        for other in self.tracks.tracks.values():
            if other is track or other.last_stamp != track.last_stamp:
                continue
            dist = float(np.linalg.norm(_centre(other.coords[-1], other.scores[-1])[:2] - centre[:2]))
            if dist < best_dist:
                best, best_dist = other, dist
        return best


# Without a believable image size a 2D window is normalised in a virtual 16:9 frame 2.5 times as tall as
# the person, centred on them: the scale a typical person of the training data had.
PERSON_SHARE_OF_FRAME = 0.4  # median in the synthetic training data (80 % of people: 0.31-0.46)


def frame_by_extent(keypoint: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """(M, T, V, 2) pixels -> the same moved into a virtual frame, and that frame's (height, width).

    The person's height is the median over frames of the visible joints' vertical extent.
    """
    seen = score > 0
    if not seen.any():
        return keypoint, DEFAULT_IMG_SHAPE
    xs, ys = keypoint[..., 0][seen], keypoint[..., 1][seen]
    heights = [
        np.ptp(keypoint[m, t, seen[m, t], 1])
        for m in range(keypoint.shape[0])
        for t in range(keypoint.shape[1])
        if seen[m, t].sum() >= 2
    ]
    person = float(np.median(heights)) if heights else 0.0
    height = max(person / PERSON_SHARE_OF_FRAME, 1.0)
    width = height * 16 / 9
    centre = np.array([(xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2], np.float32)
    moved = keypoint - centre + np.array([width / 2, height / 2], np.float32)
    return moved.astype(np.float32), (height, width)


def _centre(coords: np.ndarray, scores: np.ndarray) -> np.ndarray:
    seen = scores > 0
    return coords[seen].mean(axis=0) if seen.any() else coords.mean(axis=0)


def _aligned(partner: Track, stamps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The partner's frames at the given stamps; frames where the partner was absent are zero."""
    p_stamps, p_coords, p_scores = partner.arrays()
    coords = np.zeros((len(stamps), *p_coords.shape[1:]), np.float32)
    scores = np.zeros((len(stamps), p_scores.shape[1]), np.float32)
    index = {int(s): i for i, s in enumerate(p_stamps)}
    for row, stamp in enumerate(stamps):
        i = index.get(int(stamp))
        if i is not None:
            coords[row], scores[row] = p_coords[i], p_scores[i]
    return coords, scores
