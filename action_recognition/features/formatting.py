"""FormatGCNInput, multi-clip averaging and multi-stream fusion."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

# PYSKL's 4-stream ensemble weights (J:B:JM:BM = 2:2:1:1).
PYSKL_STREAM_WEIGHTS: dict[str, float] = {"j": 2.0, "b": 2.0, "jm": 1.0, "bm": 1.0}


def format_gcn_input(keypoint: np.ndarray, num_person: int = 2, num_clips: int = 1,
                     keypoint_score: np.ndarray | None = None, mode: str = "zero") -> np.ndarray:
    """(M, nc*T, V, C) -> (nc, num_person, T, V, C): pad persons with zeros (or copies of the only
    person, mode 'loop'), cut extra persons, split the clips."""
    kp = np.asarray(keypoint)
    if keypoint_score is not None:
        kp = np.concatenate([kp, np.asarray(keypoint_score)[..., None]], axis=-1)
    m = kp.shape[0]
    if m < num_person:
        pad = np.zeros((num_person - m, *kp.shape[1:]), dtype=kp.dtype)
        if mode == "loop" and m == 1:
            pad[:] = kp[0]
        kp = np.concatenate([kp, pad], axis=0)
    elif m > num_person:
        kp = kp[:num_person]
    m, t, v, c = kp.shape
    if t % num_clips:
        raise ValueError(f"{t} frames do not split into {num_clips} clips")
    return np.ascontiguousarray(kp.reshape(m, num_clips, t // num_clips, v, c).transpose(1, 0, 2, 3, 4))


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    z = logits - logits.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def average_clips(scores: np.ndarray, num_clips: int | None = None, mode: str = "prob") -> np.ndarray:
    """(N, nc, K) or (N*nc, K) clip logits -> (N, K). 'prob': mean of per-clip softmax (PYSKL's
    test default); 'score': mean of logits."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim == 2:
        if num_clips is None:
            raise ValueError("pass num_clips for (N*nc, K) scores")
        scores = scores.reshape(-1, num_clips, scores.shape[-1])
    if mode == "prob":
        return softmax(scores, axis=-1).mean(axis=1)
    if mode == "score":
        return scores.mean(axis=1)
    raise ValueError(f"mode {mode!r}: use 'prob' or 'score'")


def fuse_streams(scores: Mapping[str, np.ndarray] | Sequence[np.ndarray],
                 weights: Mapping[str, float] | Sequence[float] | None = None) -> np.ndarray:
    """Weighted sum of per-stream scores (each (N, K)). With a mapping keyed by stream name and no
    weights, PYSKL's 2:2:1:1 weights are used."""
    if isinstance(scores, Mapping):
        names = list(scores)
        table = PYSKL_STREAM_WEIGHTS if weights is None else weights
        if not isinstance(table, Mapping):
            raise ValueError("give weights as a mapping keyed like the scores")
        missing = [n for n in names if n not in table]
        if missing:
            raise ValueError(f"no weight for stream(s) {missing}")
        arrays, w = [scores[n] for n in names], [float(table[n]) for n in names]
    else:
        arrays = list(scores)
        w = [1.0] * len(arrays) if weights is None else [float(x) for x in weights]  # type: ignore[union-attr]
        if len(w) != len(arrays):
            raise ValueError(f"{len(w)} weights for {len(arrays)} streams")
    return sum(wi * np.asarray(a, dtype=np.float64) for wi, a in zip(w, arrays, strict=True))
