"""Shared by the recognizer scheduling tests: a small random-weight model and a jittering person."""

from __future__ import annotations

import numpy as np
import torch

from action_recognition.model import ModelSpec, TorchBackend, build_model
from action_recognition.recognition import PersonFrame

SPEC = ModelSpec(layout="coco", num_classes=3, class_names=["a", "b", "c"], clip_len=8, num_person=1)
SEC = 1_000_000_000


def random_backend() -> TorchBackend:
    torch.manual_seed(0)
    return TorchBackend(build_model(SPEC), SPEC)


def person(tid: int, frame: int, jitter: float) -> PersonFrame:
    """Track `tid` at `frame`: a fixed place per track plus `jitter` px of noise, seeded by both."""
    rng = np.random.default_rng(tid * 1000 + frame)
    return PersonFrame(tid, (100 + 10 * tid + rng.normal(0, jitter, (17, 2))).astype(np.float32),
                       rng.uniform(0.5, 1.0, 17).astype(np.float32))
