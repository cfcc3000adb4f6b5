"""PYSKL-format samples as a torch Dataset, through the shared features pipeline.

Training clips draw their frames from a RandomState seeded by (seed, epoch, index), so a run is
the same with any number of workers and a resumed run replays exactly what an uninterrupted one
would have seen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from action_recognition.features import sample_to_clips
from action_recognition.model.spec import ModelSpec


def sample_seed(seed: int, epoch: int, index: int) -> int:
    return int(np.random.SeedSequence([seed, epoch, index]).generate_state(1)[0])


class SkeletonClipDataset(Dataset):
    """Items: (clips, label). Train: (M, T, V, C) one random clip; test: (num_clips, M, T, V, C).

    `repeat` lists the samples that many times per epoch (PYSKL's RepeatDataset).
    """

    def __init__(self, samples: Sequence[dict[str, Any]], spec: ModelSpec, train: bool,
                 num_clips: int = 1, seed: int = 0, repeat: int = 1) -> None:
        self.samples = list(samples)
        self.train = train
        self.seed = seed
        self.repeat = max(1, int(repeat))
        self.epoch = 0
        self.spec = dataclasses.replace(spec, num_clips=1 if train else int(num_clips))
        self.layout = spec.skeleton()
        self.labels = np.array([int(s["label"]) for s in self.samples], dtype=np.int64)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.samples) * self.repeat

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        sample = self.samples[index % len(self.samples)]
        if self.train:
            rng = np.random.RandomState(sample_seed(self.seed, self.epoch, index))
            clips = sample_to_clips(sample, self.spec, test_mode=False, rng=rng, layout=self.layout)[0]
        else:
            clips = sample_to_clips(sample, self.spec, test_mode=True, layout=self.layout)
        return torch.from_numpy(np.ascontiguousarray(clips, dtype=np.float32)), int(sample["label"])
