"""Synthetic PYSKL-format data sets: body + action -> 3D joints -> camera -> what a pose estimator reports.

    data = generate_dataset(SynthConfig(layout="coco"), {"train": 800, "val": 100, "test": 100}, seed=0)

Every sample has its own seed derived from (seed, split, index), so a data set is the same whatever the
number of worker processes, and samples of different splits never share a seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from action_recognition.data.synth import actions as act
from action_recognition.data.synth.body import BodyShape, forward_kinematics, sample_body
from action_recognition.data.synth.camera import sample_camera
from action_recognition.data.synth.layouts import SUPPORTED_LAYOUTS, layout_indices
from action_recognition.data.synth.motion import Motion
from action_recognition.data.synth.noise import facing_terms, observe_2d, observe_3d
from action_recognition.data.synth.other_actions import OTHER_ACTIONS
from action_recognition.data.synth.ranges import ANY, CAMERA_CHOICES, Domain, split_domain

FPS_CHOICES = (24.0, 25.0, 30.0, 30.0)
_SPLIT_IDS = {"train": 1, "val": 2, "test": 3}
ALL_ACTIONS = {**act.ACTIONS, **OTHER_ACTIONS}  # the classes, then the out-of-set actions


@dataclass(frozen=True)
class SynthConfig:
    classes: Sequence[str] = field(default_factory=lambda: act.DEFAULT_CLASSES)
    layout: str = "coco"  # coco | nturgb+d | openpose
    dims: int = 2  # 3 only for nturgb+d (Kinect-style camera-space metres, no scores)
    second_person_prob: float = 0.3  # a bystander standing or walking in the scene
    max_persons: int = 2
    # "disjoint": train and test cameras come from disjoint ranges (ranges.TRAIN / TEST); "all": train
    # also draws test's camera ranges (ranges.TRAIN_ALL_CAMERAS), bodies and azimuths stay disjoint
    train_cameras: str = "disjoint"

    def __post_init__(self) -> None:
        unknown = [c for c in self.classes if c not in ALL_ACTIONS]
        if unknown:
            raise ValueError(f"unknown synthetic action(s) {unknown}; known: {list(ALL_ACTIONS)}")
        if len(set(self.classes)) != len(self.classes) or not self.classes:
            raise ValueError("classes must be a non-empty list without repeats")
        if self.layout not in SUPPORTED_LAYOUTS:
            raise ValueError(f"layout {self.layout!r} not supported; choose from {SUPPORTED_LAYOUTS}")
        if self.dims not in (2, 3) or (self.dims == 3 and self.layout != "nturgb+d"):
            raise ValueError("dims must be 2, or 3 with the nturgb+d layout")
        if self.train_cameras not in CAMERA_CHOICES:
            raise ValueError(f"train_cameras {self.train_cameras!r}: choose from {CAMERA_CHOICES}")


def _person_motion(rng: np.random.Generator, action: str, body: BodyShape, t: int, fps: float) -> np.ndarray:
    m = Motion(t, fps)
    ALL_ACTIONS[action].make(rng, m, body)
    return forward_kinematics(body, m)


def simulate_world(action: str, seed: int, domain: Domain = ANY) -> tuple[np.ndarray, float]:
    """The true 3D joints (T, 30, 3) of one person doing `action` (world frame, y up), and the frame rate."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5EED]))
    fps = float(rng.choice(FPS_CHOICES))
    lo, hi = ALL_ACTIONS[action].duration
    t = max(8, round(rng.uniform(lo, hi) * fps))
    body = sample_body(rng, domain.stature_m, domain.limb_spread)
    return _person_motion(rng, action, body, t, fps), fps


def generate_sample(
    cfg: SynthConfig, label: int, domain: Domain, seed: Sequence[int], name: str
) -> dict[str, Any]:
    """One PYSKL annotation of action cfg.classes[label], fully determined by `seed`."""
    rng = np.random.default_rng(np.random.SeedSequence(list(seed)))
    action = cfg.classes[label]
    fps = float(rng.choice(FPS_CHOICES))
    lo, hi = ALL_ACTIONS[action].duration
    t = max(8, round(rng.uniform(lo, hi) * fps))
    body = sample_body(rng, domain.stature_m, domain.limb_spread)
    people = [_person_motion(rng, action, body, t, fps)]
    if cfg.max_persons > 1 and rng.random() < cfg.second_person_prob:
        # A bystander: they stand or stroll; in a "standing still" clip they stand too.
        other = "standing still" if action == "standing still" or rng.random() < 0.5 else "walking"
        body2 = sample_body(rng, domain.stature_m, domain.limb_spread)
        j2 = _person_motion(rng, other, body2, t, fps)
        ang = rng.uniform(-np.pi, np.pi)
        offset = (
            people[0][t // 2, 0]
            - j2[t // 2, 0]
            + rng.uniform(1.0, 3.0) * np.array([np.sin(ang), 0, np.cos(ang)])
        )
        offset[1] = 0.0
        people.append(j2 + offset)
    cam = sample_camera(rng, domain, people[0], body.height, fps)
    idx = layout_indices(cfg.layout)
    kps, scores = [], []
    for joints in people:
        if cfg.dims == 3:
            kps.append(observe_3d(rng, cam.to_camera(joints)[:, idx]))
            continue
        uv, depth = cam.project(joints)
        kp, sc = observe_2d(rng, uv, depth, facing_terms(joints, cam.pos), cam.width, cam.height)
        kps.append(kp[:, idx])
        scores.append(sc[:, idx])
    if len(kps) > 1 and cfg.dims == 2 and (scores[1] > 0).mean() < 0.2:
        kps, scores = kps[:1], scores[:1]  # the bystander was hardly ever in view: not detected at all
    sample: dict[str, Any] = {
        "frame_dir": name,
        "label": int(label),
        "total_frames": int(t),
        "keypoint": np.stack(kps).astype(np.float32),
        "fps": fps,
    }
    if cfg.dims == 2:
        sample["keypoint_score"] = np.stack(scores).astype(np.float32)
        sample["img_shape"] = (cam.height, cam.width)
        sample["original_shape"] = (cam.height, cam.width)
    return sample


def balanced_labels(num: int, num_classes: int, rng: np.random.Generator) -> np.ndarray:
    """`num` labels, every class count within one of the others, in random order."""
    labels = np.arange(num) % num_classes
    rng.shuffle(labels)
    return labels


def _generate_chunk(args: tuple[SynthConfig, list[tuple[int, str, int, str]], int]) -> list[dict[str, Any]]:
    cfg, jobs, seed = args
    out = []
    for label, split, index, name in jobs:
        domain = split_domain(split, cfg.train_cameras)
        out.append(generate_sample(cfg, label, domain, (seed, _SPLIT_IDS.get(split, 9), index), name))
    return out


def generate_dataset(
    cfg: SynthConfig,
    split_sizes: dict[str, int],
    seed: int = 0,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """A whole PYSKL data set: splits of the given sizes, class-balanced, class names and layout stored."""
    jobs: list[tuple[int, str, int, str]] = []
    split: dict[str, list[str]] = {}
    for split_name, n in split_sizes.items():
        rng = np.random.default_rng(np.random.SeedSequence([seed, _SPLIT_IDS.get(split_name, 9), 0xBA1]))
        labels = balanced_labels(n, len(cfg.classes), rng)
        names = [f"synth_{split_name}_{i:06d}_A{int(lab):03d}" for i, lab in enumerate(labels)]
        split[split_name] = names
        jobs += [(int(lab), split_name, i, nm) for i, (lab, nm) in enumerate(zip(labels, names, strict=True))]
    chunk = 32
    chunks = [(cfg, jobs[i : i + chunk], seed) for i in range(0, len(jobs), chunk)]
    annotations: list[dict[str, Any]] = []
    if workers > 1 and len(chunks) > 1:
        with ProcessPoolExecutor(workers) as pool:
            for part in pool.map(_generate_chunk, chunks):
                annotations += part
                if progress:
                    progress(len(part))
    else:
        for c in chunks:
            part = _generate_chunk(c)
            annotations += part
            if progress:
                progress(len(part))
    return {
        "split": split,
        "annotations": annotations,
        "classes": list(cfg.classes),
        "layout": cfg.layout,
        "generator": {
            "name": "action_recognition.synth",
            "seed": seed,
            "dims": cfg.dims,
            "train_cameras": cfg.train_cameras,
        },
    }
