"""Pose-estimator noise for clean 2D skeletons (Kinect / motion capture projected to COCO-17).

Real labelled skeletons show real motion but not what yolo11n-pose makes of a camera image. Training on
them as they are would teach the model perfectly still, fully confident joints. `estimator_noise` adds
what the synthetic generator's `observe_2d` models from measured YOLO output, in a form that works on any
2D sample: per-frame jitter and slow drift relative to the person's height, lower and noisier scores,
dropped joints and frames, left/right limb swaps, and a small random scale, shift and perspective tilt of
the whole person. Applied to a sample (M, T, V, 2) + scores (M, T, V); coordinates stay in pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from action_recognition.data.reproject import ViewConfig, random_view
from action_recognition.features.normalize import DEFAULT_IMG_SHAPE

NOISE_KEY = "augment_noise"  # share of a training sample's draws given `estimator_noise` (1 = every draw)
VIEW_KEY = "augment_views"  # share of draws seen from a random viewpoint (needs VIEWS_3D_KEY)
VIEWS_3D_KEY = "keypoint_ntu3d"  # the sample's NTU RGB+D 3D joints (M, T, 25, 3)
VIEW_CFG_KEY = "augment_view_config"  # the sample's ViewConfig (range of viewpoints); absent: the default
FLIP_KEY = "augment_flip"  # share of draws mirrored left-right (`mirror`)

# COCO-17 left/right limb joints that pose estimators swap on side views (elbows, wrists, knees, ankles).
COCO_SWAP_PAIRS: tuple[tuple[int, int], ...] = ((7, 8), (9, 10), (13, 14), (15, 16))


@dataclass(frozen=True)
class NoiseConfig:
    """Strength of each noise term (defaults: the range measured on yolo11n-pose, see data/synth/noise.py)."""

    jitter: tuple[float, float] = (0.003, 0.010)  # white noise std per frame, share of person height
    drift: tuple[float, float] = (0.002, 0.008)  # slow (8-frame) drift std, share of person height
    score_range: tuple[float, float] = (0.55, 0.99)  # per-joint base score drawn from this range
    joint_drop: float = 0.03  # share of joints missing (score 0, position 0) in a frame
    frame_drop: float = 0.03  # share of frames where the detector misses the person
    swap_prob: float = 0.2  # chance of a few frames of swapped left/right limbs
    scale: tuple[float, float] = (0.7, 1.3)  # person size in the image relative to the source
    tilt: float = 0.15  # perspective: up to this relative shrink of the bottom (or top) of the person


def _height(kp: np.ndarray) -> float:
    valid = np.abs(kp).sum(-1) > 0
    if not valid.any():
        return 1.0
    ys = kp[..., 1][valid]
    return float(max(np.percentile(ys, 98) - np.percentile(ys, 2), 1.0))


def _smooth(rng: np.random.Generator, shape: tuple[int, ...], window: int) -> np.ndarray:
    x = rng.normal(0, 1, (shape[0] + window, *shape[1:]))
    c = np.cumsum(x, 0)
    return (c[window:] - c[:-window]) / np.sqrt(window)


def estimator_noise(sample: dict[str, Any], rng: np.random.Generator,
                    cfg: NoiseConfig = NoiseConfig()) -> dict[str, Any]:
    """A copy of a 2D sample as a pose estimator might have seen it (the input is not changed)."""
    kp = np.array(sample["keypoint"], dtype=np.float32, copy=True)
    if kp.shape[-1] != 2:
        raise ValueError(f"estimator_noise needs 2D keypoints (M, T, V, 2), got {kp.shape}")
    m, t, v, _ = kp.shape
    h_img, w_img = sample.get("img_shape", DEFAULT_IMG_SHAPE)
    valid = np.abs(kp).sum(-1) > 0
    score = np.array(sample.get("keypoint_score", np.ones((m, t, v))), dtype=np.float32, copy=True)
    for p in range(m):
        body = kp[p]
        height = _height(body)
        # whole-person geometry: scale about the centre, shift, perspective tilt of the vertical axis
        centre = body[valid[p]].mean(0) if valid[p].any() else np.zeros(2, np.float32)
        s = rng.uniform(*cfg.scale)
        tilt = rng.uniform(-cfg.tilt, cfg.tilt)
        rel = body - centre
        widen = 1.0 + tilt * np.clip(rel[..., 1:2] / height, -1, 1)
        rel = rel * np.concatenate([widen, np.ones_like(widen)], -1) * s
        shift = rng.uniform(-0.1, 0.1, 2) * np.array([w_img, h_img])
        body = rel + centre + shift
        height *= s
        # scores: a per-joint level plus frame-to-frame noise; noisier positions where scores are low
        base = rng.uniform(*cfg.score_range, v)
        sc = np.clip(base[None] + 0.08 * _smooth(rng, (t, v), 5) + 0.04 * rng.normal(0, 1, (t, v)), 0.05, 1.0)
        white = rng.uniform(*cfg.jitter) * (1.0 + 1.5 * (1.0 - sc))[..., None]
        drift = rng.uniform(*cfg.drift)
        body = body + height * (white * rng.normal(0, 1, (t, v, 2)) + drift * _smooth(rng, (t, v, 2), 8))
        if rng.random() < cfg.swap_prob:
            start = int(rng.integers(0, t))
            end = min(t, start + int(rng.integers(2, 9)))
            for a, b in COCO_SWAP_PAIRS[:2] if rng.random() < 0.5 else COCO_SWAP_PAIRS[2:]:
                if max(a, b) < v:
                    body[start:end, [a, b]] = body[start:end, [b, a]]
        dropped = rng.random((t, v)) < cfg.joint_drop
        dropped |= (rng.random(t) < cfg.frame_drop)[:, None]
        dropped |= ~valid[p]
        body[..., 0] = np.clip(body[..., 0], 0, w_img - 1)
        body[..., 1] = np.clip(body[..., 1], 0, h_img - 1)
        kp[p] = np.where(dropped[..., None], 0.0, body)
        score[p] = np.where(dropped, 0.0, sc * np.minimum(score[p] / 0.95, 1.0))
    out = dict(sample)
    out["keypoint"] = kp.astype(np.float32)
    out["keypoint_score"] = score.astype(np.float32)
    return out


def new_view(sample: dict[str, Any], rng: np.random.Generator,
             cfg: ViewConfig | None = None) -> dict[str, Any]:
    """A copy of a sample with 3D joints, seen by a random camera (data.reproject): COCO-17 2D, clean."""
    cfg = cfg or sample.get(VIEW_CFG_KEY) or ViewConfig()
    kp, score, img_shape = random_view(sample[VIEWS_3D_KEY], rng, cfg)
    out = dict(sample)
    out.update(keypoint=kp, keypoint_score=score, img_shape=img_shape, original_shape=img_shape)
    return out


def mirror_pairs(joint_names: Sequence[str]) -> list[tuple[int, int]]:
    """(left, right) joint index pairs of a layout, found by name: 'left_knee' <-> 'right_knee'."""
    index = {name: i for i, name in enumerate(joint_names)}
    pairs = []
    for name, i in index.items():
        if "left" in name:
            j = index.get(name.replace("left", "right"))
            if j is not None:
                pairs.append((i, j))
    return pairs


def mirror(sample: dict[str, Any], pairs: Sequence[tuple[int, int]]) -> dict[str, Any]:
    """A copy of a 2D sample seen in a mirror: x -> width - x, left and right joints swapped.

    The same action done with the other hand or leg (real data sets often have right-handed waves and
    right-legged kicks only). Missing joints (all-zero) stay missing."""
    kp = np.array(sample["keypoint"], dtype=np.float32, copy=True)
    width = float(sample.get("img_shape", DEFAULT_IMG_SHAPE)[1])
    missing = np.abs(kp).sum(-1) == 0
    kp[..., 0] = np.where(missing, 0.0, width - kp[..., 0])
    out = dict(sample)
    order = np.arange(kp.shape[2])
    for a, b in pairs:
        order[a], order[b] = b, a
    out["keypoint"] = kp[:, :, order]
    if sample.get("keypoint_score") is not None:
        out["keypoint_score"] = np.asarray(sample["keypoint_score"])[:, :, order]
    return out


@dataclass(frozen=True)
class PlacementConfig:
    """How `replace_in_image` moves a sequence: anywhere it fits, at a random size."""

    scale: tuple[float, float] = (0.6, 1.4)  # size relative to the source, capped so the whole path fits
    fill: float = 0.98  # the moved sequence's box spans at most this share of the image width and height


def replace_in_image(sample: dict[str, Any], rng: np.random.Generator,
                     cfg: PlacementConfig = PlacementConfig()) -> dict[str, Any]:
    """A copy of a 2D sample with the whole sequence moved to a random place in its image, resized.

    Coordinates reach the model normalised by the image (PYSKL), so where a person stands in the frame
    is part of the input. Data sets film people near the centre at one height; a robot's camera sees
    them high, low and off to a side. The sequence's box over all frames and people keeps its shape and
    motion, scaled by U(cfg.scale) (never beyond `fill` of the image) and placed uniformly in the room
    left. Missing joints (all-zero) stay missing.
    """
    kp = np.array(sample["keypoint"], dtype=np.float64, copy=True)
    valid = np.abs(kp).sum(-1) > 0
    if not valid.any():
        return dict(sample)
    h_img, w_img = sample.get("img_shape", DEFAULT_IMG_SHAPE)
    size = np.array([w_img, h_img], dtype=np.float64)
    lo, hi = kp[valid].min(0), kp[valid].max(0)
    span = np.maximum(hi - lo, 1.0)
    s = min(rng.uniform(*cfg.scale), float((cfg.fill * size / span).min()))
    new_lo = rng.uniform(0.0, 1.0, 2) * np.maximum(size - span * s, 0.0)
    moved = (kp - lo) * s + new_lo
    out = dict(sample)
    out["keypoint"] = np.where(valid[..., None], moved, 0.0).astype(np.float32)
    return out


def undetected(sample: dict[str, Any], mask: np.ndarray) -> dict[str, Any]:
    """A copy of a 2D sample whose joints where `mask` (broadcast to (M, T, V)) is set were not detected:
    at (0, 0) with score 0, as PreNormalize2D and the estimator report a missed joint."""
    kp = np.array(sample["keypoint"], dtype=np.float32, copy=True)
    score = np.array(sample.get("keypoint_score", np.ones(kp.shape[:-1])), dtype=np.float32, copy=True)
    mask = np.broadcast_to(mask, score.shape)
    kp[mask] = 0.0
    score[mask] = 0.0
    return {**sample, "keypoint": kp, "keypoint_score": score}


def cut_below(sample: dict[str, Any], rng: np.random.Generator,
              keep: tuple[float, float] = (0.55, 0.95)) -> dict[str, Any]:
    """A copy of a 2D sample seen through a frame whose bottom edge cuts the person.

    A horizontal line is drawn at a share U(keep) of the way down the sequence's visible extent (all
    frames and people); joints below it are not detected (at (0, 0) with score 0), as a pose estimator
    reports a person close to the camera or behind a desk. The line stays put while the person moves, as
    an image edge does.
    """
    kp = np.asarray(sample["keypoint"], dtype=np.float32)
    score = np.asarray(sample.get("keypoint_score", np.ones(kp.shape[:-1])), dtype=np.float32)
    valid = (np.abs(kp).sum(-1) > 0) & (score > 0)
    if not valid.any():
        return dict(sample)
    ys = kp[..., 1][valid]
    line = ys.min() + rng.uniform(*keep) * (ys.max() - ys.min())
    return undetected(sample, valid & (kp[..., 1] > line))
