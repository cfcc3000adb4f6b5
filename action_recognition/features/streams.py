"""GenSkeFeat: joint (j), bone (b), joint-motion (jm) and bone-motion (bm) streams, PYSKL semantics.

With `has_score` (2D input: x, y, score) the score channel of a bone is the mean of its two
joints' scores and that of a motion the mean over the two frames; 3D input differences all channels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

STREAMS: tuple[str, ...] = ("j", "b", "jm", "bm")


def joint_to_bone(keypoint: np.ndarray, bone_pairs: Sequence[tuple[int, int]], has_score: bool) -> np.ndarray:
    """(..., V, C) -> bones: keypoint[v] - keypoint[parent] for each (v, parent) pair."""
    kp = np.asarray(keypoint, dtype=np.float32)
    child = np.array([p[0] for p in bone_pairs])
    parent = np.array([p[1] for p in bone_pairs])
    bone = np.zeros_like(kp)
    bone[..., child, :] = kp[..., child, :] - kp[..., parent, :]
    if has_score and kp.shape[-1] == 3:
        bone[..., child, 2] = (kp[..., child, 2] + kp[..., parent, 2]) / 2
    return bone


def to_motion(data: np.ndarray, has_score: bool) -> np.ndarray:
    """(M, T, V, C) -> frame differences x[t+1] - x[t]; the last frame is zero."""
    data = np.asarray(data, dtype=np.float32)
    motion = np.zeros_like(data)
    t = data.shape[1]
    motion[:, :t - 1] = np.diff(data, axis=1)
    if has_score and data.shape[-1] == 3:
        motion[:, :t - 1, :, 2] = (data[:, :t - 1, :, 2] + data[:, 1:, :, 2]) / 2
    return motion


def gen_ske_feat(keypoint: np.ndarray, feats: Sequence[str], bone_pairs: Sequence[tuple[int, int]],
                 has_score: bool, keypoint_score: np.ndarray | None = None) -> np.ndarray:
    """(M, T, V, C) -> the requested streams concatenated on the last axis, in `feats` order.

    A separate keypoint_score (M, T, V) is appended to 2D keypoints first, as PYSKL does.
    """
    kp = np.asarray(keypoint, dtype=np.float32)
    if keypoint_score is not None:
        if kp.shape[-1] != 2:
            raise ValueError("keypoint_score goes with 2D keypoints (C == 2)")
        kp = np.concatenate([kp, np.asarray(keypoint_score, dtype=np.float32)[..., None]], axis=-1)
    unknown = [f for f in feats if f not in STREAMS]
    if unknown or not feats:
        raise ValueError(f"feats {list(feats)}: each must be one of {STREAMS}")
    out: dict[str, np.ndarray] = {"j": kp}
    if "b" in feats or "bm" in feats:
        out["b"] = joint_to_bone(kp, bone_pairs, has_score)
    if "jm" in feats:
        out["jm"] = to_motion(kp, has_score)
    if "bm" in feats:
        out["bm"] = to_motion(out["b"], has_score)
    return np.concatenate([out[f] for f in feats], axis=-1)
