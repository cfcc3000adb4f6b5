"""Overlay skeletons, boxes, track ids and (optionally) an action label per track on a BGR image."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

import cv2
import numpy as np


class PersonLike(Protocol):
    track_id: int
    keypoints: np.ndarray  # (V, 3): x, y, score
    bbox: np.ndarray  # (4,): x1, y1, x2, y2
    bbox_score: float


def track_colour(track_id: int) -> tuple[int, int, int]:
    """A stable, well-separated BGR colour per track id (golden-ratio hue steps)."""
    hue = int((track_id * 0.618033988749895 % 1.0) * 179)
    hsv = np.uint8([[[hue, 220, 255]]])
    b, g, r = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0]
    return int(b), int(g), int(r)


def draw_poses(
    image: np.ndarray,
    persons: Iterable[PersonLike],
    edges: Sequence[tuple[int, int]] = (),
    labels: Mapping[int, str] | None = None,
    kpt_threshold: float = 0.3,
    copy: bool = True,
) -> np.ndarray:
    """Draw every person's box, id, joints (score >= kpt_threshold) and bones along `edges`.

    `labels` maps a track id to extra text (e.g. "walking 0.91") shown after the id.
    Returns the drawn image (a copy unless `copy=False`).
    """
    out = image.copy() if copy else image
    scale = max(out.shape[:2]) / 640.0
    thick = max(1, round(2 * scale))
    radius = max(2, round(3 * scale))
    font = 0.5 * max(scale, 0.6)
    for p in persons:
        colour = track_colour(p.track_id)
        kp = np.asarray(p.keypoints, dtype=np.float32)
        seen = kp[:, 2] >= kpt_threshold
        for i, j in edges:
            if i < len(kp) and j < len(kp) and seen[i] and seen[j]:
                cv2.line(out, _pt(kp[i]), _pt(kp[j]), colour, thick, cv2.LINE_AA)
        for v in np.flatnonzero(seen):
            cv2.circle(out, _pt(kp[v]), radius, colour, -1, cv2.LINE_AA)
        x1, y1, x2, y2 = (round(float(c)) for c in p.bbox)
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, thick)
        text = f"id {p.track_id}"
        if labels and p.track_id in labels:
            text += f": {labels[p.track_id]}"
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font, thick)
        top = max(y1 - th - base - 2, 0)
        cv2.rectangle(out, (x1, top), (x1 + tw + 4, top + th + base + 2), colour, -1)
        org = (x1 + 2, top + th + 1)
        cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, font, (0, 0, 0), thick, cv2.LINE_AA)
    return out


def _pt(xy: np.ndarray) -> tuple[int, int]:
    return round(float(xy[0])), round(float(xy[1]))
