"""Tiny synthetic data and a small, fast ST-GCN++ config shared by the training tests."""

from __future__ import annotations

from pathlib import Path

from action_recognition.data.format import save_dataset
from action_recognition.data.synth.generator import SynthConfig, generate_dataset
from action_recognition.training.config import TrainConfig, load_config

TINY_CLASSES = ("walking", "jump up", "standing still")
# A 4-stage, 16-channel ST-GCN++ (same block types as the full one) so a CPU step takes milliseconds.
TINY_ARCH = "{base_channels: 16, num_stages: 4, inflate_stages: [3], down_stages: [3]}"


def make_tiny_dataset(path: Path, sizes: dict[str, int] | None = None, classes=TINY_CLASSES,
                      seed: int = 0) -> Path:
    cfg = SynthConfig(classes=classes, layout="coco")
    data = generate_dataset(cfg, sizes or {"train": 24, "val": 12, "test": 12}, seed=seed)
    return save_dataset(data, path)


def tiny_overrides(data_file: Path, work_dir: Path, *extra: str) -> list[str]:
    return [
        f"data.file={data_file}", f"work_dir={work_dir}", f"model.arch={TINY_ARCH}",
        "data.clip_len=16", "data.num_person=1", "data.repeat=1", "data.num_clips_test=2",
        "batch_size=8", "workers=0", "threads=1", "seed=3", "optim.lr=0.05", "optim.lr_batch=8",
        "tensorboard=false", "progress=false", "epochs=2", *extra,
    ]


def tiny_config(data_file: Path, work_dir: Path, *extra: str) -> TrainConfig:
    return load_config(None, tiny_overrides(data_file, work_dir, *extra))
