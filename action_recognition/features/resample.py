"""Skeleton streams resampled by their stamps onto the model's frame grid.

A model trained at 30 fps expects 30 frames per second of motion. Cameras run at 5-60 fps and drop
frames, so windows are cut from frames on one fixed grid instead of from the frames as they came:
grid frame k is at `k * 1e9 / fps` ns (exact integer arithmetic, the same grid for every track, so
two people's frames line up for two-person samples). Each grid frame is interpolated linearly
between the two input frames around it; a joint missing (score 0) in either of them takes the
nearer frame's value instead, so a lost joint never drifts through the interpolation.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np


class FrameGrid:
    """Stamps of the grid frames at `fps`: `stamp(k) = floor(k * 1e9 / fps)` ns."""

    def __init__(self, fps: float) -> None:
        if not 0 < fps < 1e4:
            raise ValueError(f"fps must be a positive frame rate, got {fps}")
        rate = Fraction(fps).limit_denominator(1001)  # 29.97 -> 2997/100
        self.fps = float(fps)
        self._num = 1_000_000_000 * rate.denominator  # period = _num / _den ns
        self._den = rate.numerator
        # Input stamps this close before a grid frame count as on it: a 30 fps camera whose stamps are
        # off by a few microseconds gives its own frames back, not a one-frame lag.
        self.tolerance_ns = self._num // (self._den * 20)

    @property
    def period_ns(self) -> float:
        return self._num / self._den

    def stamp(self, k: int) -> int:
        return (k * self._num) // self._den

    def index_at_or_before(self, t: int) -> int:
        """The largest k with stamp(k) <= t + tolerance."""
        t += self.tolerance_ns
        return ((t + 1) * self._den - 1) // self._num


class TrackResampler:
    """Turns one track's input frames (increasing stamps) into its grid frames, as they become known."""

    def __init__(self, grid: FrameGrid) -> None:
        self.grid = grid
        self._last: tuple[int, np.ndarray, np.ndarray] | None = None
        self._last_k = 0

    def push(
        self, stamp: int, coords: np.ndarray, scores: np.ndarray, max_out: int
    ) -> tuple[list[int], np.ndarray, np.ndarray]:
        """Grid stamps, coords (n, V, C) and scores (n, V) of the grid frames up to `stamp` (n <= max_out).

        The first frame of a track stands for the grid frame at or just before it. Later ones give
        every grid frame after the previous input frame up to this one (none when two inputs fall
        between the same two grid frames, several after dropped frames or from a slow camera).
        """
        k_last = self.grid.index_at_or_before(stamp)
        if self._last is None:
            self._last, self._last_k = (stamp, coords, scores), k_last
            return [self.grid.stamp(k_last)], coords[None], scores[None]
        t0, c0, s0 = self._last
        k_first = max(self._last_k + 1, k_last - max_out + 1)
        self._last = (stamp, coords, scores)
        if k_last < k_first:
            return [], np.empty((0, *coords.shape), np.float32), np.empty((0, *scores.shape), np.float32)
        self._last_k = k_last
        if k_first == k_last:  # the common case (input near the model's rate): one grid frame
            g = self.grid.stamp(k_last)
            if g >= stamp - self.grid.tolerance_ns:  # this input frame stands for it (on the grid)
                return [g], coords[None], scores[None]
        stamps = [self.grid.stamp(k) for k in range(k_first, k_last + 1)]
        span = stamp - t0
        w = np.clip((np.asarray(stamps, np.float64) - t0) / span, 0.0, 1.0).astype(np.float32)  # (n,)
        out_c = c0[None] + w[:, None, None] * (coords - c0)[None]
        out_s = s0[None] + w[:, None] * (scores - s0)[None]
        seen_both = (s0 > 0) & (scores > 0)
        if not seen_both.all():
            nearer_new = (w >= 0.5)[:, None]  # (n, 1)
            held_c = np.where(nearer_new[..., None], coords[None], c0[None])
            held_s = np.where(nearer_new, scores[None], s0[None])
            out_c = np.where(seen_both[None, :, None], out_c, held_c)
            out_s = np.where(seen_both[None], out_s, held_s)
        return stamps, out_c.astype(np.float32), out_s.astype(np.float32)


def resample_sequence(
    stamps_ns: np.ndarray, coords: np.ndarray, scores: np.ndarray, fps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A whole recorded sequence (T, V, C) / (T, V) at `stamps_ns` onto the grid at `fps`.

    The same arithmetic as the online path, for offline users (extraction, evaluation).
    """
    resampler = TrackResampler(FrameGrid(fps))
    out_t: list[int] = []
    out_c, out_s = [], []
    for t, c, s in zip(np.asarray(stamps_ns, np.int64).tolist(), coords, scores, strict=True):
        st, cc, ss = resampler.push(int(t), np.asarray(c, np.float32), np.asarray(s, np.float32), 1 << 30)
        out_t += st
        out_c.append(cc)
        out_s.append(ss)
    if not out_t:
        return np.zeros(0, np.int64), np.zeros((0, *coords.shape[1:]), np.float32), np.zeros(
            (0, *scores.shape[1:]), np.float32
        )
    return np.asarray(out_t, np.int64), np.concatenate(out_c), np.concatenate(out_s)


def resample_sample(sample: dict, fps: float) -> dict:
    """A PYSKL sample recorded at its own `sample['fps']` -> the same motion at `fps` (a new dict).

    For training and evaluation data whose clips come at several rates (the synthetic generator draws
    24-30 fps; extracted videos keep theirs unless resampled): the model then learns motion at the
    rate the action node resamples live streams to. A sample without 'fps', or already at `fps`, is
    returned unchanged.
    """
    src = float(sample.get("fps") or 0.0)
    if src <= 0 or abs(src - fps) < 1e-6:
        return sample
    kp = np.asarray(sample["keypoint"], np.float32)  # (M, T, V, C)
    score = sample.get("keypoint_score")
    sc = np.asarray(score, np.float32) if score is not None else np.ones(kp.shape[:3], np.float32)
    stamps = np.round(np.arange(kp.shape[1]) * 1e9 / src).astype(np.int64)
    outs = [resample_sequence(stamps, kp[m], sc[m], fps) for m in range(kp.shape[0])]
    out = dict(sample)
    out["keypoint"] = np.stack([o[1] for o in outs])
    if score is not None:
        out["keypoint_score"] = np.stack([o[2] for o in outs])
    out["total_frames"] = int(out["keypoint"].shape[1])
    out["fps"] = float(fps)
    return out
