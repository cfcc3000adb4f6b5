"""A person and draw comparisons shared by the training-augmentation tests (data.placement, data.cut)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from action_recognition.model import ModelSpec
from action_recognition.training.dataset import SkeletonClipDataset

IMG = (480, 640)  # (height, width)


def person_sitting(frames: int = 60, missed: bool = False) -> dict:
    """A figure centred in a 640x480 image, joints from y 140 (head) to 400 (feet), sinking 60 px over the
    sequence (a person sitting down); `missed`: one joint the estimator missed for two frames."""
    t = np.linspace(0.0, 1.0, frames, dtype=np.float32)
    base = np.stack([np.linspace(300, 340, 17), np.linspace(140, 400, 17)], -1).astype(np.float32)
    kp = (base[None] + np.stack([np.zeros_like(t), 60 * t], -1)[:, None]).astype(np.float32)
    if missed:
        kp[10:12, 4] = 0.0
    return {"frame_dir": "sit", "label": 0, "total_frames": frames, "keypoint": kp[None],
            "keypoint_score": np.full((1, frames, 17), 0.9, np.float32), "img_shape": IMG}


def draws_with_and_without(sample: dict, spec: ModelSpec, n: int = 40,
                           **option: Any) -> tuple[SkeletonClipDataset, SkeletonClipDataset, list[bool]]:
    """n training draws of `sample` without and with `option` (same seed), and which of them differ."""
    plain = SkeletonClipDataset([sample] * n, spec, train=True, seed=3)
    other = SkeletonClipDataset([sample] * n, spec, train=True, seed=3, **option)
    return plain, other, [not torch.allclose(plain[i][0], other[i][0]) for i in range(n)]


def eval_clip_untouched(sample: dict, spec: ModelSpec, **option: Any) -> bool:
    """Whether an evaluation clip is the same with `option` as without (held-out people as filmed)."""
    with_option = SkeletonClipDataset([sample], spec, train=False, num_clips=1, **option)
    return torch.allclose(with_option[0][0], SkeletonClipDataset([sample], spec, train=False)[0][0])
