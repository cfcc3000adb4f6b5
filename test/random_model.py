"""A small ST-GCN++ checkpoint with random weights, for tests of behaviour rather than accuracy."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from action_recognition.model import ModelSpec, build_model, save_checkpoint


def save_random_model(folder: Path, labels: Sequence[str], seed: int = 0, clip_len: int = 16) -> Path:
    """`folder/model.pth`: a coco-layout model for `labels`, its weights drawn with `seed`."""
    torch.manual_seed(seed)
    spec = ModelSpec(layout="coco", num_classes=len(labels), class_names=list(labels), clip_len=clip_len)
    return save_checkpoint(Path(folder) / "model.pth", build_model(spec), spec)
