"""What a pose estimator makes of the true joints: jitter, confidence scores, misses, swaps, truncation.

Scores follow what yolo11n-pose gives on real video (measured on the demo clip): 0.9-0.99 on visible torso and
leg joints, 0.6-0.8 on the far-side arm, 0.1-0.5 on the far-side eye and ear, low on joints outside the image.
Jitter is about 0.3-0.8% of the person's height per frame, more on low-score joints.
"""

from __future__ import annotations

import numpy as np

from action_recognition.data.synth.layouts import INTERNAL_JOINTS, joint_side

_SIDE = joint_side()
_NAMES = INTERNAL_JOINTS
_FACE_FRONT = np.array([n in ("nose", "left_eye", "right_eye") for n in _NAMES])
_EAR = np.array([n.endswith("_ear") for n in _NAMES])
# Base confidence logit per joint (a fully visible joint of a person of decent size).
_BASE = np.array([
    {"shoulder": 4.0, "hip": 3.9, "knee": 3.6, "elbow": 3.2, "ankle": 3.3, "wrist": 3.0, "foot": 2.4,
     "hand": 1.8, "tip": 1.2, "thumb": 1.1, "nose": 2.8, "eye": 2.6, "ear": 2.0}.get(n.split("_")[-1], 3.0)
    for n in _NAMES
])  # fmt: skip
# How much turning a joint away from the camera costs (logit per unit of the negative facing term).
_AWAY = np.where(_FACE_FRONT, 4.5, np.where(_EAR, 4.0, np.where(_SIDE != 0, 2.0, 0.0)))
_LEFT_RIGHT_PAIRS = {
    "arms": [("left_elbow", "right_elbow"), ("left_wrist", "right_wrist")],
    "legs": [("left_knee", "right_knee"), ("left_ankle", "right_ankle"), ("left_foot", "right_foot")],
}


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def facing_terms(joints: np.ndarray, cam_pos: np.ndarray) -> np.ndarray:
    """Per joint and frame, how much the joint faces the camera (T, 30) in [-1, 1]; 1 for midline joints."""
    j = {n: joints[:, i] for i, n in enumerate(_NAMES)}
    left = _unit(j["left_shoulder"] - j["right_shoulder"] + j["left_hip"] - j["right_hip"])
    face_left = _unit(j["left_ear"] - j["right_ear"])
    face_fwd = _unit(j["nose"] - 0.5 * (j["left_ear"] + j["right_ear"]))
    to_cam = _unit(cam_pos[:, None, :] - joints)
    side = np.einsum("tc,tjc->tj", left, to_cam) * _SIDE[None]
    face_side = np.einsum("tc,tjc->tj", face_left, to_cam) * _SIDE[None]
    front = np.einsum("tc,tjc->tj", face_fwd, to_cam)
    out = np.where(_SIDE[None] != 0, side, 1.0)
    out = np.where(
        _FACE_FRONT[None], np.minimum(front, 0.5 + 0.5 * face_side + 0.5 * (_SIDE[None] == 0)), out
    )
    return np.where(_EAR[None], face_side + 0.35, out)


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, ...], window: int) -> np.ndarray:
    """Gaussian noise low-passed along axis 0 by a moving average (unit std)."""
    window = max(1, int(window))
    x = rng.normal(0, 1, (shape[0] + window, *shape[1:]))
    c = np.cumsum(x, 0)
    return (c[window:] - c[:-window]) / np.sqrt(window)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def observe_2d(
    rng: np.random.Generator,
    uv: np.ndarray,
    depth: np.ndarray,
    facing: np.ndarray,
    width: int,
    height: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy 2D keypoints (T, 30, 2) and scores (T, 30) of all internal joints; missed ones are 0, score 0."""
    t, v = uv.shape[:2]
    inside = (
        (uv[..., 0] >= 0) & (uv[..., 0] < width) & (uv[..., 1] >= 0) & (uv[..., 1] < height) & (depth > 0.2)
    )
    core = [_NAMES.index(n) for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip", "head")]
    clipped = np.clip(uv, 0, [width, height])
    person_px = np.max(clipped.max(1) - clipped.min(1), -1)  # apparent size (px) of the part in view
    # --- confidence ---------------------------------------------------------------------------------------
    logit = _BASE[None] + _AWAY[None] * np.minimum(facing, 0.0)
    logit = logit + rng.normal(0, 0.4) + 0.6 * _smooth_noise(rng, (t, v), 5) + 0.3 * rng.normal(0, 1, (t, v))
    logit -= np.clip((160.0 - person_px) / 80.0, 0, 2.0)[:, None]  # small people score lower
    score = _sigmoid(logit)
    # --- position noise -------------------------------------------------------------------------------------
    scale = np.maximum(person_px, 20.0)[:, None, None]
    white = rng.uniform(0.003, 0.008) * (1.0 + 1.5 * (1.0 - score))[..., None]
    drift = rng.uniform(0.002, 0.008)
    kp = uv + scale * (white * rng.normal(0, 1, (t, v, 2)) + drift * _smooth_noise(rng, (t, v, 2), 8))
    # Left/right swaps of limbs for a few frames, a classic estimator failure on side views.
    if rng.random() < 0.3:
        for _ in range(int(rng.integers(1, 4))):
            pairs = _LEFT_RIGHT_PAIRS[rng.choice(list(_LEFT_RIGHT_PAIRS))]
            s = int(rng.integers(0, t))
            e = min(t, s + int(rng.integers(2, 9)))
            for a, b in pairs:
                ia, ib = _NAMES.index(a), _NAMES.index(b)
                kp[s:e, [ia, ib]] = kp[s:e, [ib, ia]]
                score[s:e, [ia, ib]] *= 0.7
    # Occluders: a band of the image (furniture, another person) hides what is behind it for a while.
    if rng.random() < 0.25:
        s = int(rng.integers(0, t))
        e = min(t, s + int(rng.integers(t // 4 + 1, t + 1)))
        if rng.random() < 0.5:  # lower body behind something
            y0 = np.median(uv[:, _NAMES.index("left_knee"), 1]) - rng.uniform(0, 0.2) * np.median(person_px)
            hidden = uv[s:e, :, 1] > y0
        else:
            x0 = rng.uniform(0, width)
            x1 = x0 + rng.uniform(0.05, 0.3) * width
            hidden = (uv[s:e, :, 0] > x0) & (uv[s:e, :, 0] < x1)
        score[s:e] = np.where(hidden, score[s:e] * rng.uniform(0.02, 0.4, hidden.shape), score[s:e])
        kp[s:e] += np.where(hidden[..., None], rng.normal(0, 0.05, (*hidden.shape, 2)) * scale[s:e], 0.0)
    # Joints outside the image: either guessed at the border with a low score, or dropped. Estimators report
    # coordinates inside the image, so everything kept is clipped to it.
    kp[..., 0] = np.clip(kp[..., 0], 0, width - 1)
    kp[..., 1] = np.clip(kp[..., 1], 0, height - 1)
    if rng.random() < 0.5:
        score = np.where(inside, score, score * rng.uniform(0.0, 0.25, score.shape))
        dropped = ~inside & (depth <= 0.2)
    else:
        dropped = ~inside
    # The detector misses the person when too little of them is in view, and now and then anyway.
    missed = inside[:, core].sum(1) < 2
    if rng.random() < 0.3:
        for _ in range(int(rng.integers(1, 4))):
            s = int(rng.integers(0, t))
            missed[s : s + int(rng.integers(1, 7))] = True
    dropped |= missed[:, None]
    kp = np.where(dropped[..., None], 0.0, kp)
    score = np.where(dropped, 0.0, np.clip(score, 0.0, 1.0))
    return kp.astype(np.float32), score.astype(np.float32)


def observe_3d(rng: np.random.Generator, xc: np.ndarray) -> np.ndarray:
    """Kinect-like 3D joints (T, V, 3) in metres, camera frame with y up: cm-level noise, rare lost frames."""
    t, v = xc.shape[:2]
    out = xc * np.array([1.0, -1.0, 1.0])
    extremity = np.array([n.split("_")[-1] in ("hand", "tip", "thumb", "foot") for n in _NAMES[:v]])
    sigma = np.where(extremity, 0.02, 0.008)[None, :, None] * rng.uniform(0.6, 1.5)
    out = out + sigma * (rng.normal(0, 1, (t, v, 3)) + _smooth_noise(rng, (t, v, 3), 6))
    if rng.random() < 0.2:
        s = int(rng.integers(0, t))
        out[s : s + int(rng.integers(1, 5))] = 0.0
    return out.astype(np.float32)
