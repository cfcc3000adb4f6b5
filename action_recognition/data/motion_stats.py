"""Motion statistics of COCO-17 2D samples, to compare the synthetic generator with real motion.

Per sample, in units of the person's height (so camera distance and image size drop out):
duration (s), mean body-joint speed (heights/s, after a 7-frame moving average), vertical range
of the hip centre, reach of the wrists from the shoulder centre, horizontal travel of the hip centre,
and the share of frames before the motion starts (lead-in: body speed first above 30 % of its peak).
Aggregated per class as medians.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np

# COCO-17 indices
_NOSE, _L_SH, _R_SH, _L_WR, _R_WR, _L_HIP, _R_HIP, _L_AN, _R_AN = 0, 5, 6, 9, 10, 11, 12, 15, 16
_BODY = list(range(5, 17))
STAT_NAMES = ("duration_s", "speed", "hip_range", "wrist_reach", "travel", "lead_in")


def _moving_average(x: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average along axis 0 (edges: the shorter windows that fit)."""
    if len(x) < window:
        return x
    c = np.cumsum(np.concatenate([np.zeros((1, *x.shape[1:])), x]), 0)
    half = window // 2
    lo = np.clip(np.arange(len(x)) - half, 0, len(x))
    hi = np.clip(np.arange(len(x)) + half + 1, 0, len(x))
    return (c[hi] - c[lo]) / (hi - lo).reshape(-1, *([1] * (x.ndim - 1)))


def sample_motion_stats(sample: dict[str, Any], fps: float = 30.0) -> dict[str, float] | None:
    """The statistics of the first person of a 2D sample; None when too few joints are seen."""
    kp = np.asarray(sample["keypoint"][0], dtype=np.float64)[..., :2]  # (T, V, 2)
    score = sample.get("keypoint_score")
    seen = (np.asarray(score[0]) > 0.2) if score is not None else np.abs(kp).sum(-1) > 0
    frames = seen[:, [_L_SH, _R_SH, _L_HIP, _R_HIP]].all(1)
    if frames.sum() < 5:
        return None
    kp, seen = kp[frames], seen[frames]
    height = np.median(np.abs(0.5 * (kp[:, _L_AN, 1] + kp[:, _R_AN, 1]) - kp[:, _NOSE, 1]))
    height = max(height, np.median(np.abs(kp[:, _L_HIP, 1] - kp[:, _L_SH, 1])) * 3.0, 1e-6)
    x = kp / height
    hip = 0.5 * (x[:, _L_HIP] + x[:, _R_HIP])
    shoulder = 0.5 * (x[:, _L_SH] + x[:, _R_SH])
    # 7-frame moving average first: pose-estimator jitter (in the synthetic data) would dominate the speed
    smooth_x = _moving_average(x[:, _BODY], 7)
    step = np.linalg.norm(np.diff(smooth_x, axis=0), axis=-1)  # (T-1, 12)
    both = seen[1:, _BODY] & seen[:-1, _BODY]
    speed_t = np.where(both, step, 0).sum(1) / np.maximum(both.sum(1), 1) * fps
    smooth = np.convolve(speed_t, np.ones(5) / 5, mode="same") if len(speed_t) >= 5 else speed_t
    start = int(np.argmax(smooth > 0.3 * smooth.max())) if len(smooth) and smooth.max() > 0 else 0
    reach = np.linalg.norm(x[:, [_L_WR, _R_WR]] - shoulder[:, None], axis=-1).max(1)
    return {
        "duration_s": int(sample["keypoint"].shape[1]) / fps,
        "speed": float(speed_t.mean()) if len(speed_t) else 0.0,
        "hip_range": float(np.percentile(hip[:, 1], 95) - np.percentile(hip[:, 1], 5)),
        "wrist_reach": float(np.percentile(reach, 95)),
        "travel": float(abs(hip[-1, 0] - hip[0, 0])),
        "lead_in": start / max(len(smooth), 1),
    }


def class_motion_stats(samples: Iterable[dict[str, Any]], classes: list[str],
                       fps: float = 30.0) -> dict[str, dict[str, float]]:
    """Per class name: the median of each statistic and the sample count `n`."""
    per: dict[str, list[dict[str, float]]] = defaultdict(list)
    for s in samples:
        stats = sample_motion_stats(s, float(s.get("fps", fps)))
        if stats is not None:
            per[classes[int(s["label"])]].append(stats)
    return {name: {"n": float(len(rows)), **{k: float(np.median([r[k] for r in rows])) for k in STAT_NAMES}}
            for name, rows in per.items()}
