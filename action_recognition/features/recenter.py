"""Recentring: where a person stands in the frame taken out of the joint stream (not in PYSKL).

PreNormalize2D keeps absolute image positions, so the same motion filmed higher or lower in the frame
reaches the model as a different input. A spec with `recenter` moves each sampled clip so that the mean
of its visible joints is the image centre. Motion inside the clip (walking across, sitting down) stays;
bones and motions are differences, so only the joint stream changes.
"""

from __future__ import annotations

import numpy as np

from action_recognition.features.normalize import SCORE_THRESHOLD


def recenter_clips(feats: np.ndarray, num_clips: int, channel: int = 0,
                   threshold: float = SCORE_THRESHOLD) -> np.ndarray:
    """(M, num_clips * L, V, C) sampled 2D features -> a copy with channels channel, channel + 1 (x, y)
    shifted per clip so that the visible joints' mean is (0, 0).

    Visible = the score channel (channel + 2) above `threshold`; invisible joints and padded persons or
    frames stay at (0, 0), as PreNormalize2D left them. A clip with no visible joint is unchanged.
    """
    out = np.array(feats, dtype=np.float32)
    m, t, v, c = out.shape
    if t % num_clips or c < channel + 3:
        raise ValueError(f"recenter_clips: {t} frames do not split into {num_clips} clips, or {c} channels "
                         f"hold no (x, y, score) at channel {channel}")
    clips = out.reshape(m, num_clips, t // num_clips, v, c)  # a view: edits land in `out`
    visible = clips[..., channel + 2] > threshold  # (M, nc, L, V)
    count = visible.sum(axis=(0, 2, 3))  # per clip
    for k in np.flatnonzero(count):
        xy = clips[:, k, ..., channel:channel + 2]
        mask = visible[:, k]
        centre = xy[mask].mean(axis=0)
        xy[mask] -= centre
    return out
