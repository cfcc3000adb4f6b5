"""PreNormalize2D and PreNormalize3D with PYSKL's semantics, on numpy arrays."""

from __future__ import annotations

import numpy as np

from action_recognition.model.spec import DEFAULT_IMG_SHAPE

SCORE_THRESHOLD = 0.01


def pre_normalize_2d(keypoint: np.ndarray, keypoint_score: np.ndarray | None = None,
                     img_shape: tuple[int, int] = DEFAULT_IMG_SHAPE,
                     threshold: float = SCORE_THRESHOLD) -> np.ndarray:
    """Pixel (x, y) -> [-1, 1] by image size; joints with score <= threshold get x = y = 0.

    keypoint (..., V, 2) with a separate keypoint_score (..., V), or (..., V, 3) with the score
    last. Returns float32 (..., V, 3) = (x, y, score), or (..., V, 2) when there is no score.
    """
    kp = np.array(keypoint, dtype=np.float32)  # a copy: the caller's array stays untouched
    if keypoint_score is not None:
        kp = np.concatenate([kp, np.asarray(keypoint_score, dtype=np.float32)[..., None]], axis=-1)
    h, w = img_shape
    kp[..., 0] = (kp[..., 0] - w / 2) / (w / 2)
    kp[..., 1] = (kp[..., 1] - h / 2) / (h / 2)
    if kp.shape[-1] == 3:
        low = kp[..., 2] <= threshold
        kp[..., 0][low] = 0
        kp[..., 1][low] = 0
    return kp


def _angle(v1: np.ndarray, v2: np.ndarray) -> float:
    if np.abs(v1).sum() < 1e-6 or np.abs(v2).sum() < 1e-6:
        return 0.0
    cos = np.dot(v1 / np.linalg.norm(v1), v2 / np.linalg.norm(v2))
    return float(np.arccos(np.clip(cos, -1.0, 1.0)))


def _rotation(axis: np.ndarray, theta: float) -> np.ndarray:
    """Counter-clockwise rotation by theta about axis (Rodrigues); identity when degenerate."""
    if np.abs(axis).sum() < 1e-6 or abs(theta) < 1e-6:
        return np.eye(3)
    k = np.asarray(axis, dtype=np.float64) / np.linalg.norm(axis)
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) * np.cos(theta) + np.sin(theta) * cross + (1 - np.cos(theta)) * np.outer(k, k)


def _align(skeleton: np.ndarray, bottom: np.ndarray, top: np.ndarray, target: list[float]) -> np.ndarray:
    """Rotate everything so that (top - bottom) points along `target`."""
    direction = top - bottom
    rot = _rotation(np.cross(direction, target), _angle(direction, np.asarray(target, dtype=np.float64)))
    return skeleton @ rot.T


def pre_normalize_3d(keypoint: np.ndarray, zaxis: tuple[int, int] = (0, 1), xaxis: tuple[int, int] = (8, 4),
                     align_spine: bool = True,
                     align_center: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """PYSKL's PreNormalize3D for (M<=2, T, V, 3) skeletons; returns (keypoint, body_center).

    Keeps the frames where the main person (the one present in more frames, moved to index 0)
    exists, centers on joint 1 (25 joints) or the last joint, then rotates so the zaxis bone
    (base -> middle of spine) points along +z and the xaxis bone (right -> left shoulder) along +x.
    """
    skeleton = np.asarray(keypoint)
    m, t = skeleton.shape[:2]
    if skeleton.sum() == 0:
        return skeleton, None
    if m not in (1, 2):
        raise ValueError(f"pre_normalize_3d takes 1 or 2 persons, got {m}")
    present = [np.array([i for i in range(t) if not np.all(np.isclose(skeleton[p, i], 0))], dtype=np.int64)
               for p in range(m)]
    if m == 2 and len(present[0]) < len(present[1]):
        skeleton = skeleton[:, present[1]][[1, 0]]
    else:
        skeleton = skeleton[:, present[0]]
    center = None
    if align_center:
        center = skeleton[0, 0, 1].copy() if skeleton.shape[2] == 25 else skeleton[0, 0, -1].copy()
        mask = ((skeleton != 0).sum(-1) > 0)[..., None]
        skeleton = (skeleton - center) * mask
    if align_spine:
        skeleton = _align(skeleton, skeleton[0, 0, zaxis[0]], skeleton[0, 0, zaxis[1]], [0, 0, 1])
        skeleton = _align(skeleton, skeleton[0, 0, xaxis[1]], skeleton[0, 0, xaxis[0]], [1, 0, 0])
    return skeleton, center
