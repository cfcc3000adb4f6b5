"""Real 3D skeletons (NTU RGB+D 25 joints) seen by another camera: COCO-17 2D from a new viewpoint.

Kinect and motion-capture data sets record each person from one or a few fixed viewpoints, so a model
trained on their 2D projections learns those viewpoints, not the action. A robot's camera is lower,
higher, to the side or behind. `random_view` turns the person about the vertical axis, tilts the camera
up or down, places the person at a random distance in a random common image size and projects with a
pinhole camera, then maps the 25 NTU joints to COCO-17 (face points placed on the head, as the real_dev
files and Kinect/mocap exports do: those sources have no face).

Input coordinates: metres in a camera frame with x to the camera's left and y up (the convention of
the NTU-format files: u = cx - f x / z, v = cy - f y / z). Missing joints are all-zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NTU_JOINTS = 25
# COCO-17 body joint <- NTU joint (0-based PYSKL/NTU order): shoulders 4/8, elbows 5/9, wrists 6/10,
# hips 12/16, knees 13/17, ankles 14/18.
COCO_FROM_NTU: dict[int, int] = {5: 4, 6: 8, 7: 5, 8: 9, 9: 6, 10: 10, 11: 12, 12: 16, 13: 13, 14: 17,
                                 15: 14, 16: 18}
NTU_HEAD, NTU_NECK, NTU_SPINE_BASE, NTU_L_SHOULDER, NTU_R_SHOULDER = 3, 2, 0, 4, 8
# Face points from the head joint: (towards the person's left, up, forward) in metres, fitted to the face
# approximations of Kinect/mocap exports (nose 6 cm in front of the head joint, eyes beside and above it).
FACE_OFFSETS: dict[int, tuple[float, float, float]] = {
    0: (0.0, 0.0, 0.06), 1: (0.031, 0.02, 0.038), 2: (-0.031, 0.02, 0.038), 3: (0.075, 0.0, 0.0),
    4: (-0.075, 0.0, 0.0)}
BODY_SCORE, FACE_SCORE = 0.95, 0.8

# (width, height) drawn for the virtual camera, with how often: landscape video sizes and a phone.
VIEW_IMAGE_SIZES: tuple[tuple[int, int], ...] = ((1920, 1080), (1280, 720), (640, 480), (720, 1280))
VIEW_IMAGE_WEIGHTS = (0.35, 0.35, 0.2, 0.1)


@dataclass(frozen=True)
class ViewConfig:
    """Range of the random viewpoint (degrees, metres)."""

    yaw: float = 90.0  # turn of the person about the vertical axis, uniform in +-yaw ...
    back_prob: float = 0.15  # ... or, this often, seen from behind (yaw + 180)
    pitch: tuple[float, float] = (-10.0, 30.0)  # camera elevation: + looks down on the person
    distance: tuple[float, float] = (2.2, 7.0)  # camera to the person at their nearest
    hfov: tuple[float, float] = (55.0, 90.0)  # horizontal field of view


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-9)


def ntu_to_coco_3d(kp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(..., 25, 3) NTU joints -> (..., 17, 3) COCO joints and (..., 17) validity."""
    if kp.shape[-2:] != (NTU_JOINTS, 3):
        raise ValueError(f"expected NTU RGB+D joints (..., 25, 3), got {kp.shape}")
    valid_ntu = np.abs(kp).sum(-1) > 0
    out = np.zeros((*kp.shape[:-2], 17, 3), dtype=np.float64)
    valid = np.zeros((*kp.shape[:-2], 17), dtype=bool)
    for coco, ntu in COCO_FROM_NTU.items():
        out[..., coco, :] = kp[..., ntu, :]
        valid[..., coco] = valid_ntu[..., ntu]
    head = kp[..., NTU_HEAD, :]
    lateral = _unit(kp[..., NTU_L_SHOULDER, :] - kp[..., NTU_R_SHOULDER, :])
    up = _unit(head - kp[..., NTU_NECK, :])
    forward = _unit(np.cross(lateral, up))
    head_ok = valid_ntu[..., NTU_HEAD] & valid_ntu[..., NTU_NECK]
    head_ok &= valid_ntu[..., NTU_L_SHOULDER] & valid_ntu[..., NTU_R_SHOULDER]
    for coco, (side, lift, ahead) in FACE_OFFSETS.items():
        out[..., coco, :] = head + side * lateral + lift * up + ahead * forward
        valid[..., coco] = head_ok
    return out, valid


def _rotation(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """Turn about the vertical (y) axis, then tilt about the camera's horizontal (x) axis."""
    a, b = np.radians(yaw_deg), np.radians(pitch_deg)
    r_yaw = np.array([[np.cos(a), 0.0, np.sin(a)], [0.0, 1.0, 0.0], [-np.sin(a), 0.0, np.cos(a)]])
    # pitch > 0: the camera above looks down, so the top of the person comes nearer to it
    r_pitch = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(b), np.sin(b)], [0.0, -np.sin(b), np.cos(b)]])
    return r_pitch @ r_yaw


def project(kp: np.ndarray, valid: np.ndarray, width: int, height: int, focal: float
            ) -> tuple[np.ndarray, np.ndarray]:
    """Pinhole projection of (..., V, 3) points (x left, y up, z forward) -> pixels (..., V, 2), validity."""
    z = kp[..., 2]
    ok = valid & (z > 0.1)
    zs = np.where(ok, z, 1.0)
    uv = np.stack([width / 2 - focal * kp[..., 0] / zs, height / 2 - focal * kp[..., 1] / zs], -1)
    return np.where(ok[..., None], uv, 0.0), ok


def _fitted_distance(body: np.ndarray, valid: np.ndarray, distance: float, width: int, height: int,
                     focal: float) -> float:
    """Camera distance for a sequence that moves (walking several metres): the body's nearest approach is
    `distance` away, then the camera backs off until the whole path is in front of it and inside the image
    (a fixed camera filming the whole action), so no joint passes behind the camera or out of frame."""
    counts = valid.sum((0, 2))  # (T,) valid joints per frame, all bodies together
    z_sum = np.where(valid, body[..., 2], 0.0).sum((0, 2))
    seen = counts > 0
    depth = distance - (z_sum[seen] / counts[seen]).min()
    for _ in range(60):
        uv, ok = project(body + np.array([0.0, 0.0, depth]), valid, width, height, focal)
        if ok.sum() == valid.sum():
            span = uv[ok].max(0) - uv[ok].min(0)
            if span[0] <= 0.95 * width and span[1] <= 0.95 * height:
                break
        depth *= 1.1
    return float(depth)


def view_coco(kp3d: np.ndarray, yaw: float, pitch: float, distance: float, width: int, height: int,
              focal: float, shift: tuple[float, float] = (0.5, 0.5), fit: bool = False
              ) -> tuple[np.ndarray, np.ndarray]:
    """(M, T, 25, 3) NTU joints seen from one viewpoint -> COCO (M, T, 17, 2) pixels and (M, T, 17) scores.

    The person (all bodies of the sample together) turns by `yaw` about their own vertical axis, the camera
    tilts by `pitch` and stands `distance` metres from their centre (with `fit`: from their nearest
    approach, and further back if the whole path would not fit the image); `shift` in [0, 1]^2 places the
    sequence's bounding box in the free room of the image (0.5, 0.5: centred).
    """
    coco, valid = ntu_to_coco_3d(np.asarray(kp3d, dtype=np.float64))
    if not valid.any():
        return np.zeros((*coco.shape[:-1], 2), np.float32), np.zeros(coco.shape[:-1], np.float32)
    centre = coco[valid].mean(0)
    body = (coco - centre) @ _rotation(yaw, pitch).T
    if fit:
        distance = _fitted_distance(body, valid, distance, width, height, focal)
    body = body + np.array([0.0, 0.0, distance])
    uv, ok = project(body, valid, width, height, focal)
    if ok.any():  # move the whole sequence so its box sits at `shift` of the room left in the image
        lo, hi = uv[ok].min(0), uv[ok].max(0)
        room = np.array([width, height], dtype=np.float64) - (hi - lo)
        target = np.where(room > 0, room * np.asarray(shift), room / 2)
        uv = np.where(ok[..., None], uv + (target - lo), 0.0)
    score = np.where(ok, BODY_SCORE, 0.0)
    score[..., :5] = np.where(ok[..., :5], FACE_SCORE, 0.0)
    return uv.astype(np.float32), score.astype(np.float32)


def random_view(kp3d: np.ndarray, rng: np.random.Generator, cfg: ViewConfig = ViewConfig()
                ) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """The sequence from a random viewpoint: COCO pixels (M, T, 17, 2), scores (M, T, 17), (H, W)."""
    width, height = VIEW_IMAGE_SIZES[rng.choice(len(VIEW_IMAGE_SIZES), p=VIEW_IMAGE_WEIGHTS)]
    hfov = np.radians(rng.uniform(*cfg.hfov))
    focal = width / 2 / np.tan(hfov / 2)
    yaw = rng.uniform(-cfg.yaw, cfg.yaw) + (180.0 if rng.random() < cfg.back_prob else 0.0)
    pitch = rng.uniform(*cfg.pitch)
    # a 1.7 m person must fit: at least far enough that they span <= 90 % of the image height
    near = 1.9 * focal / (0.9 * min(width, height) * 1.0)
    distance = max(rng.uniform(*cfg.distance), near)
    uv, score = view_coco(kp3d, yaw, pitch, distance, width, height, focal,
                          shift=(rng.uniform(0.2, 0.8), rng.uniform(0.3, 0.7)), fit=True)
    return uv, score, (height, width)
