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
from action_recognition.training.augment import (
    FLIP_KEY,
    NOISE_KEY,
    VIEW_KEY,
    PlacementConfig,
    cut_below,
    estimator_noise,
    mirror,
    mirror_pairs,
    new_view,
    replace_in_image,
)

PLACEMENT_STREAM = 1  # `data.placement` draws from (item seed, this), apart from the item's main stream
CUT_STREAM = 2  # `data.cut` draws from (item seed, this)


def sample_seed(seed: int, epoch: int, index: int) -> int:
    return int(np.random.SeedSequence([seed, epoch, index]).generate_state(1)[0])


def random_sub_window(sample: dict[str, Any], p_interval: tuple[float, float],
                      rng: np.random.RandomState) -> dict[str, Any]:
    """A random run of consecutive frames, ratio ~ U(p_interval) of the sample (PYSKL's p_interval).

    Teaches the model actions seen in part, as an online window sees them. Cropping before the
    features (PYSKL crops after GenSkeFeat) only changes the motion of the crop's last frame.
    """
    total = int(sample["keypoint"].shape[1])
    ratio = rng.rand() * (p_interval[1] - p_interval[0]) + p_interval[0]
    used = max(1, int(ratio * total))
    start = rng.randint(total - used + 1)
    out = dict(sample)
    out["keypoint"] = sample["keypoint"][:, start:start + used]
    if sample.get("keypoint_score") is not None:
        out["keypoint_score"] = sample["keypoint_score"][:, start:start + used]
    out["total_frames"] = used
    return out


class SkeletonClipDataset(Dataset):
    """Items: (clips, label). Train: (M, T, V, C) one random clip; test: (num_clips, M, T, V, C).

    `repeat` lists the samples that many times per epoch (PYSKL's RepeatDataset). `placement`: share of
    training draws moved to a random place and size in the image (`training.augment.replace_in_image`).
    `cut`: share of 2D training draws whose lower part a frame edge hides (`training.augment.cut_below`).
    """

    def __init__(self, samples: Sequence[dict[str, Any]], spec: ModelSpec, train: bool,
                 num_clips: int = 1, seed: int = 0, repeat: int = 1,
                 p_interval: tuple[float, float] = (1.0, 1.0), placement: float = 0.0,
                 placement_cfg: PlacementConfig | None = None, cut: float = 0.0) -> None:
        self.samples = list(samples)
        self.cut = float(cut)
        self.placement = float(placement)
        self.placement_cfg = placement_cfg or PlacementConfig()
        self.p_interval = (float(p_interval[0]), float(p_interval[1]))
        self.train = train
        self.seed = seed
        self.repeat = max(1, int(repeat))
        self.epoch = 0
        self.spec = dataclasses.replace(spec, num_clips=1 if train else int(num_clips))
        self.layout = spec.skeleton()
        self.mirror_pairs = mirror_pairs(self.layout.joint_names)
        self.labels = np.array([int(s["label"]) for s in self.samples], dtype=np.int64)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.samples) * self.repeat

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        sample = self.samples[index % len(self.samples)]
        if self.train:
            seed = sample_seed(self.seed, self.epoch, index)
            rng = np.random.RandomState(seed)
            if sample.get(VIEW_KEY) and rng.rand() < sample[VIEW_KEY]:  # the same motion, another camera
                sample = new_view(sample, np.random.default_rng(rng.randint(2**31)))
            if sample.get(FLIP_KEY) and rng.rand() < sample[FLIP_KEY]:  # the other hand / leg
                sample = mirror(sample, self.mirror_pairs)
            # clean real skeletons as an estimator sees them, on a share of draws (1: no number drawn,
            # so runs from before the share existed keep their random streams)
            noise = float(sample.get(NOISE_KEY, 0.0))
            if noise > 0 and (noise >= 1.0 or rng.rand() < noise):
                sample = estimator_noise(sample, np.random.default_rng(rng.randint(2**31)))
            if self.placement > 0:  # anywhere in the image, any size; its own stream leaves `rng` as it was
                place_rng = np.random.default_rng([seed, PLACEMENT_STREAM])
                if place_rng.random() < self.placement:
                    sample = replace_in_image(sample, place_rng, self.placement_cfg)
            if self.cut > 0 and np.asarray(sample["keypoint"]).shape[-1] == 2:  # its own stream too
                cut_rng = np.random.default_rng([seed, CUT_STREAM])
                if cut_rng.random() < self.cut:
                    sample = cut_below(sample, cut_rng)
            if self.p_interval != (1.0, 1.0):
                sample = random_sub_window(sample, self.p_interval, rng)
            clips = sample_to_clips(sample, self.spec, test_mode=False, rng=rng, layout=self.layout)[0]
        else:
            clips = sample_to_clips(sample, self.spec, test_mode=True, layout=self.layout)
        return torch.from_numpy(np.ascontiguousarray(clips, dtype=np.float32)), int(sample["label"])
