"""UniformSampleFrames and PoseDecode with PYSKL's semantics.

Test mode reseeds a private RandomState(seed) per call, which draws the same numbers as PYSKL's
np.random.seed(seed) at the start of each sample, so the indices match PYSKL's exactly without
touching numpy's global state.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np


def _clip_indices(rng: Any, num_frames: int, clip_len: int, clip_idx: int, num_clips: int,
                  p_interval: tuple[float, float], test_mode: bool) -> np.ndarray:
    ratio = rng.rand() * (p_interval[1] - p_interval[0]) + p_interval[0]
    used = int(ratio * num_frames)  # p_interval < 1 keeps a random sub-window of this length
    off = rng.randint(num_frames - used + 1)
    if used < clip_len:  # too short: a looping run of consecutive frames
        if test_mode:
            start = clip_idx if used < num_clips else clip_idx * used // num_clips
        else:
            start = rng.randint(0, used)
        inds = np.arange(start, start + clip_len)
    elif used < 2 * clip_len:  # keep every frame once, skip (used - clip_len) random ones
        skip = rng.choice(clip_len + 1, used - clip_len, replace=False)
        offset = np.zeros(clip_len + 1, dtype=np.int64)
        offset[skip] = 1
        inds = np.arange(clip_len) + np.cumsum(offset)[:-1]
    else:  # one random frame from each of clip_len equal segments
        bounds = np.array([i * used // clip_len for i in range(clip_len + 1)])
        inds = bounds[:clip_len] + rng.randint(np.diff(bounds))
    return inds + off


def uniform_sample_frames(num_frames: int, clip_len: int, num_clips: int = 1, test_mode: bool = False,
                          seed: int = 255, p_interval: float | tuple[float, float] = 1.0,
                          rng: Any = None) -> np.ndarray:
    """Frame indices (num_clips * clip_len,) into a sequence of `num_frames` frames.

    test_mode: deterministic (PYSKL's indices for the given seed). Train mode draws from `rng`
    (a np.random.RandomState; default numpy's global one, as PYSKL does).
    """
    if num_frames < 1:
        raise ValueError("uniform_sample_frames needs at least one frame")
    pi = p_interval if isinstance(p_interval, tuple) else (p_interval, p_interval)
    if test_mode:  # a function of its arguments alone: the online recognizer asks for the same few
        return _test_indices(num_frames, clip_len, num_clips, seed, tuple(map(float, pi))).copy()
    if rng is None:
        rng = np.random  # the module-level functions use numpy's global RandomState
    return _indices(rng, num_frames, clip_len, num_clips, pi, test_mode)


def _indices(rng: Any, num_frames: int, clip_len: int, num_clips: int, pi: tuple[float, float],
             test_mode: bool) -> np.ndarray:
    inds = np.concatenate([_clip_indices(rng, num_frames, clip_len, i, num_clips, pi, test_mode)
                           for i in range(num_clips)])
    return np.mod(inds, num_frames).astype(np.int64)


@functools.lru_cache(maxsize=1024)
def _test_indices(num_frames: int, clip_len: int, num_clips: int, seed: int,
                  pi: tuple[float, float]) -> np.ndarray:
    """Test-mode indices, computed once per argument set (a fresh RandomState costs ~0.1 ms)."""
    return _indices(np.random.RandomState(seed), num_frames, clip_len, num_clips, pi, True)


def pose_decode(keypoint: np.ndarray, frame_inds: np.ndarray,
                keypoint_score: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Gather frames: (M, T, ...) arrays indexed on axis 1, as float32."""
    inds = np.asarray(frame_inds).reshape(-1)
    kp = np.asarray(keypoint)[:, inds].astype(np.float32)
    score = None if keypoint_score is None else np.asarray(keypoint_score)[:, inds].astype(np.float32)
    return kp, score
