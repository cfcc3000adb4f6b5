"""Sampling ranges of the synthetic data, per split domain.

Train and val share one domain (val differs by seed only); test draws body stature, camera height, field of
view, apparent person size and camera azimuth from ranges disjoint from training's, so a test score measures
generalisation to unseen bodies and viewpoints, not memorisation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

Ranges = tuple[tuple[float, float], ...]


def uniform_union(rng: np.random.Generator, ranges: Ranges) -> float:
    """Uniform draw from a union of [lo, hi] intervals (each weighted by its width)."""
    widths = np.array([max(hi - lo, 1e-9) for lo, hi in ranges])
    lo, hi = ranges[int(rng.choice(len(ranges), p=widths / widths.sum()))]
    return float(rng.uniform(lo, hi))


@dataclass(frozen=True)
class Domain:
    """Where bodies and cameras of one split come from."""

    stature_m: Ranges
    limb_spread: float  # relative std of each segment length around the anthropometric mean
    camera_height_m: Ranges
    hfov_deg: Ranges  # horizontal field of view
    person_frac: Ranges  # person height / image height at the clip's middle
    azimuth_parity: int  # camera azimuth lies in 15-degree sectors of this parity (0 or 1), -1 for any


TRAIN = Domain(
    stature_m=((1.45, 1.68), (1.78, 2.0)),
    limb_spread=0.05,
    camera_height_m=((0.3, 1.1), (1.6, 3.2)),
    hfov_deg=((40.0, 58.0), (72.0, 100.0)),
    person_frac=((0.12, 0.35), (0.5, 0.95)),
    azimuth_parity=0,
)
TEST = Domain(
    stature_m=((1.68, 1.78),),
    limb_spread=0.07,
    camera_height_m=((1.1, 1.6),),
    hfov_deg=((58.0, 72.0),),
    person_frac=((0.35, 0.5),),
    azimuth_parity=1,
)
# Any-view domain for one-off generation outside the train/test protocol.
ANY = Domain(
    stature_m=((1.45, 2.0),),
    limb_spread=0.05,
    camera_height_m=((0.3, 3.2),),
    hfov_deg=((40.0, 100.0),),
    person_frac=((0.12, 0.95),),
    azimuth_parity=-1,
)
SPLIT_DOMAINS: dict[str, Domain] = {"train": TRAIN, "val": TRAIN, "test": TEST}
# Training on every camera: test's camera heights, fields of view and person sizes (a Kinect at 1.1-1.6 m,
# 58-72 degrees, the person at 0.35-0.5 of the image: the most common robot set-up) are drawn in training
# too. Bodies and azimuth sectors stay disjoint, so test still measures unseen people and view angles.
TRAIN_ALL_CAMERAS = replace(
    TRAIN,
    camera_height_m=ANY.camera_height_m,
    hfov_deg=ANY.hfov_deg,
    person_frac=ANY.person_frac,
)
CAMERA_CHOICES = ("disjoint", "all")  # SynthConfig.train_cameras


def split_domain(split: str, train_cameras: str = "disjoint") -> Domain:
    """The domain a split draws from; train_cameras="all" widens train and val to every camera."""
    if train_cameras not in CAMERA_CHOICES:
        raise ValueError(f"train_cameras {train_cameras!r}: choose from {CAMERA_CHOICES}")
    if train_cameras == "all" and split in ("train", "val"):
        return TRAIN_ALL_CAMERAS
    return SPLIT_DOMAINS.get(split, ANY)


def sample_azimuth(rng: np.random.Generator, parity: int) -> float:
    """Camera azimuth (radians) around the person, restricted to alternate 15-degree sectors by parity."""
    if parity < 0:
        return float(rng.uniform(-np.pi, np.pi))
    sector = 2 * int(rng.integers(0, 12)) + parity  # 24 sectors of 15 degrees
    return float(np.deg2rad(sector * 15.0 + rng.uniform(0.0, 15.0)) - np.pi)
