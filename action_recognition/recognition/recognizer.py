"""Online action recognition: per-track windows in, one batched ST-GCN++ forward per round, labels out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from action_recognition.features.formatting import average_clips
from action_recognition.features.pipeline import sample_to_clips
from action_recognition.model.backends import InferenceBackend
from action_recognition.model.spec import ModelSpec
from action_recognition.recognition.tracks import FrameStats, PersonFrame, Track, TrackTable

UNKNOWN_LABEL = "unknown"


@dataclass
class RecognizerConfig:
    """How windows are kept and when they are classified (the action node's parameters).

    window: frames kept per track; 0 = the model's window (ModelSpec.window), else its clip length.
    min_frames: frames a track needs before its first label; 0 = half the window. Shorter windows are
        sampled the way PYSKL samples short clips (a looping run of frames), never zero-padded.
    stride: new frames of a track between two of its inferences.
    persons_per_sample: 1, or 2 = the track plus its nearest other person (two-person actions).
    smoothing: weight of the previous probabilities in an exponential moving average (0 = off).
    score_threshold: below this top probability the label is "unknown" (class id -1).
    track_timeout: seconds (by message stamps) after which an unseen track is dropped.
    max_tracks: tracks kept at most; the least recently seen is evicted first.
    max_batch: tracks per forward pass at most (bounds latency and memory in a crowd).
    """

    window: int = 0
    min_frames: int = 0
    stride: int = 5
    persons_per_sample: int = 1
    smoothing: float = 0.0
    score_threshold: float = 0.0
    track_timeout: float = 2.0
    max_tracks: int = 50
    max_batch: int = 32

    def resolved(self, spec: ModelSpec) -> RecognizerConfig:
        window = self.window or spec.window or spec.clip_len
        min_frames = self.min_frames or max(1, window // 2)
        if self.persons_per_sample not in (1, 2):
            raise ValueError(f"persons_per_sample must be 1 or 2, got {self.persons_per_sample}")
        if not 0.0 <= self.smoothing < 1.0:
            raise ValueError(f"smoothing must be in [0, 1), got {self.smoothing}")
        if min_frames > window:
            raise ValueError(f"min_frames ({min_frames}) exceeds window ({window})")
        if self.stride < 1 or self.max_batch < 1:
            raise ValueError("stride and max_batch must be at least 1")
        return RecognizerConfig(
            window,
            min_frames,
            self.stride,
            self.persons_per_sample,
            self.smoothing,
            self.score_threshold,
            self.track_timeout,
            self.max_tracks,
            self.max_batch,
        )


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
    """Model input for some due tracks, cut from their windows, waiting for its forward pass."""

    clips: np.ndarray
    track_ids: list[int]
    windows: list[tuple[int, int, int]]  # (first stamp ns, last stamp ns, frames) per track


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
        )
        self._smoothed: dict[int, np.ndarray] = {}
        # The backbone sees each person on its own and the head is linear after the mean over persons,
        # so a zero-padded person adds the same logits to every sample: compute them once and feed
        # only the real person (half the work for a model trained with num_person 2).
        self._pad_persons = spec.num_person - 1 if self.config.persons_per_sample == 1 else 0
        if self._pad_persons:
            zero = np.zeros((1, 1, spec.clip_len, self.layout.num_joints, spec.in_channels), np.float32)
            self._zero_logits = backend.predict(zero)[0]
        self.inferences = 0
        self.windows_classified = 0

    def add_frame(self, stamp_ns: int, persons: list[PersonFrame], image_size: tuple[int, int]) -> FrameStats:
        stats = self.tracks.add_frame(stamp_ns, persons, image_size)
        for tid in (*stats.restarted_tracks, *stats.evicted_tracks):
            self._smoothed.pop(tid, None)
        return stats

    def step(self) -> list[ActionResult]:
        """Expire old tracks, then classify all due tracks in batched forward passes."""
        return [r for batch in self.prepare() for r in self.finish(batch, self.backend.predict(batch.clips))]

    def prepare(self) -> list[PendingBatch]:
        """Expire old tracks and cut the due windows into batches of model input (cheap).

        With `finish`, lets a caller run the forward pass outside its lock while new frames arrive.
        """
        for tid in self.tracks.expire():
            self._smoothed.pop(tid, None)
        due = self.tracks.due(self.config.min_frames, self.config.stride)
        batches = []
        for start in range(0, len(due), self.config.max_batch):
            tracks = due[start : start + self.config.max_batch]
            batches.append(
                PendingBatch(
                    clips=np.concatenate([self._clips(t) for t in tracks]),  # (B * num_clips, M', T, V, C)
                    track_ids=[t.track_id for t in tracks],
                    windows=[(int(t.stamps[0]), int(t.stamps[-1]), len(t)) for t in tracks],
                )
            )
            for t in tracks:
                t.frames_since_inference = 0
        return batches

    def finish(self, batch: PendingBatch, logits: np.ndarray) -> list[ActionResult]:
        """Turn a batch's logits into results (clip averaging, smoothing, threshold)."""
        if self._pad_persons:  # add back the zero-padded persons' share of the mean over persons
            logits = (logits + self._pad_persons * self._zero_logits) / (self._pad_persons + 1)
        probs = average_clips(logits, self.spec.num_clips)  # (B, K): mean of per-clip softmax, as PYSKL
        self.inferences += 1
        self.windows_classified += len(batch.track_ids)
        results = []
        for track_id, (start_ns, end_ns, frames), p in zip(
            batch.track_ids, batch.windows, probs, strict=True
        ):
            p = self._smooth(track_id, p)
            best = int(np.argmax(p))
            known = p[best] >= self.config.score_threshold
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

    def _smooth(self, track_id: int, probs: np.ndarray) -> np.ndarray:
        alpha = self.config.smoothing
        previous = self._smoothed.get(track_id)
        if alpha > 0 and previous is not None:
            probs = alpha * previous + (1 - alpha) * probs
        self._smoothed[track_id] = probs
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
        sample = {"keypoint": keypoint, "keypoint_score": keypoint_score}
        if width > 0 and height > 0:
            sample["img_shape"] = (height, width)
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
