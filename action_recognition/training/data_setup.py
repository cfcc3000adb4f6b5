"""From a config's `data` section to samples per split and the ModelSpec that feeds them."""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from action_recognition.data.format import (
    DatasetError,
    class_names,
    load_dataset,
    save_dataset,
    split_samples,
)
from action_recognition.data.info import guess_layout
from action_recognition.data.reproject import ViewConfig
from action_recognition.features.normalize import DEFAULT_IMG_SHAPE
from action_recognition.features.rescale import bone_proportions
from action_recognition.model.spec import ModelSpec, recenter_unsupported
from action_recognition.training.augment import FLIP_KEY, NOISE_KEY, VIEW_CFG_KEY, VIEW_KEY, VIEWS_3D_KEY
from action_recognition.training.config import ConfigError, DataConfig, ExtraDataConfig, SynthDataConfig


@dataclass
class PreparedData:
    spec: ModelSpec
    train: list[dict[str, Any]]
    val: list[dict[str, Any]]
    test: list[dict[str, Any]]
    classes: list[str]


def generate_synthetic(path: Path, synth: SynthDataConfig) -> Path:
    """Write the synthetic data set the config describes (same file for the same settings)."""
    from action_recognition.data.synth.actions import DEFAULT_CLASSES
    from action_recognition.data.synth.generator import SynthConfig, generate_dataset

    classes = tuple(synth.classes or DEFAULT_CLASSES) + tuple(synth.other_actions)
    try:
        cfg = SynthConfig(classes=classes, layout=synth.layout,
                          second_person_prob=synth.second_person_prob, train_cameras=synth.train_cameras)
    except ValueError as exc:
        raise ConfigError(f"'data.synth': {exc}") from None
    total = sum(synth.sizes.values())
    print(f"generating {total} synthetic samples into {path} (seed {synth.seed}) ...", file=sys.stderr)
    data = generate_dataset(cfg, dict(synth.sizes), seed=synth.seed, workers=synth.workers)
    return save_dataset(data, path)


def _load(path: str, synth: SynthDataConfig | None, field: str) -> dict[str, Any]:
    p = Path(path)
    if not p.exists():
        if synth is None:
            raise ConfigError(f"'{field}': no such data file {p}; make one with `action-recognition data "
                              "synth` or set data.synth to generate it")
        generate_synthetic(p, synth)
    try:
        return load_dataset(p)
    except DatasetError as exc:
        raise ConfigError(f"'{field}': {exc}") from None


def extra_samples(extra: ExtraDataConfig, classes: list[str], other_class: str | None,
                  field: str) -> list[dict[str, Any]]:
    """An extra file's samples relabelled to `classes` by name and listed `repeat` / `other_repeat` times."""
    data = _load(extra.file, None, field + ".file")
    names = class_names(data)
    index = {name: i for i, name in enumerate(classes)}
    other = index.get(other_class) if other_class else None
    try:
        samples = split_samples(data, extra.split)
    except DatasetError as exc:
        raise ConfigError(f"'{field}.split': {exc}") from None
    views3d = _views_3d(extra, field) if extra.views > 0 else {}
    view_cfg = ViewConfig(pitch=(float(extra.view_pitch[0]), float(extra.view_pitch[1])))
    out: list[dict[str, Any]] = []
    for sample in samples:
        if extra.subjects is not None and sample.get("subject") not in extra.subjects:
            continue
        name = names[int(sample["label"])]
        in_set = name in index and name != other_class
        label = index[name] if in_set else other
        if label is None:
            continue
        copy = {**sample, "label": int(label), NOISE_KEY: float(extra.noise), FLIP_KEY: float(extra.flip)}
        if views3d:
            kp3d = views3d.get(sample["frame_dir"])
            if kp3d is None or kp3d.shape[:2] != sample["keypoint"].shape[:2]:
                raise ConfigError(f"'{field}.file3d': {extra.file3d} has no sequence matching "
                                  f"{sample['frame_dir']!r} of {extra.file} (same frame_dir and shape)")
            copy.update({VIEWS_3D_KEY: kp3d, VIEW_KEY: float(extra.views), VIEW_CFG_KEY: view_cfg})
        out += [copy] * (extra.repeat if in_set else extra.other_repeat)
    if not out:
        raise ConfigError(f"'{field}': {extra.file} adds no sample (no class shared with {classes}?)")
    return out


def _views_3d(extra: ExtraDataConfig, field: str) -> dict[str, np.ndarray]:
    """frame_dir -> (M, T, 25, 3) NTU joints of the extra file's 3D twin."""
    data = _load(str(extra.file3d), None, field + ".file3d")
    out = {}
    for sample in data["annotations"]:
        kp = np.asarray(sample["keypoint"])
        if kp.ndim != 4 or kp.shape[-2:] != (25, 3):
            raise ConfigError(f"'{field}.file3d': {extra.file3d} holds {kp.shape[-2:]} joints x channels; "
                              "views need NTU RGB+D 3D joints (25, 3)")
        out[sample["frame_dir"]] = kp.astype(np.float32)
    return out


def _normalization(sample: dict[str, Any]) -> str:
    kp = sample["keypoint"]
    if kp.shape[-1] == 2 or sample.get("keypoint_score") is not None:
        return "2d"
    return "3d"


def _fold_other_classes(classes: list[str], cfg: DataConfig, splits: tuple[list[dict[str, Any]], ...]
                        ) -> tuple[list[str], list[list[dict[str, Any]]]]:
    """Drop data.other_classes from the class list; their samples are relabelled as data.other_class."""
    missing = [c for c in cfg.other_classes if c not in classes]
    if missing:
        raise ConfigError(f"'data.other_classes': {missing} not among the classes of {cfg.file} ({classes}); "
                          "list classes of that file, or regenerate it with data.synth.other_actions")
    kept = [c for c in classes if c not in cfg.other_classes]
    other = len(kept)  # other_class is appended after the kept classes
    new_label = [kept.index(c) if c in kept else other for c in classes]
    relabelled = [[{**s, "label": new_label[int(s["label"])]} for s in split] for split in splits]
    return kept, relabelled


def prepare_data(cfg: DataConfig, need_train: bool = True) -> PreparedData:
    """Load the file(s), pick the splits and derive the spec (layout, classes, channels)."""
    data = _load(cfg.file, cfg.synth, "data.file")
    other = _load(cfg.val_file, None, "data.val_file") if cfg.val_file else data

    def pick(source: dict[str, Any], split: str | None, field: str) -> list[dict[str, Any]]:
        if split is None:
            return []
        try:
            return split_samples(source, split)
        except DatasetError as exc:
            raise ConfigError(f"'{field}': {exc}; set {field} to one of them or null") from None

    train = pick(data, cfg.train_split, "data.train_split") if need_train else []
    val = pick(other, cfg.val_split, "data.val_split")
    test = pick(other, cfg.test_split, "data.test_split")
    if need_train and not train:
        raise ConfigError(f"'data.train_split': split {cfg.train_split!r} of {cfg.file} is empty")
    classes = class_names(data)
    if cfg.other_classes:
        classes, (train, val, test) = _fold_other_classes(classes, cfg, (train, val, test))
    if cfg.train_fraction < 1.0 and train:
        used = max(1, round(cfg.train_fraction * len(train)))
        keep = np.random.default_rng(0).permutation(len(train))[:used]
        train = [train[i] for i in sorted(keep)]
    if cfg.other_class:
        if cfg.other_class in classes:
            raise ConfigError(f"'data.other_class': {cfg.other_class!r} is already a class of {cfg.file}")
        classes = [*classes, cfg.other_class]
    if need_train:
        for i, extra in enumerate(cfg.extra):
            train += extra_samples(extra, classes, cfg.other_class, f"data.extra[{i}]")
    layout = cfg.layout or guess_layout(data)
    if layout is None:
        raise ConfigError("'data.layout': the data names no layout and its joint count matches no built-in "
                          "one; set data.layout to a layout name or YAML file")
    first = (train or val or test or data["annotations"])[0]
    normalization = _normalization(first)
    if cfg.recenter and (why := recenter_unsupported(normalization, cfg.feats)):
        raise ConfigError(f"'data.recenter': {why}; use 2D data with the 'j' stream or set it false")
    spec = ModelSpec(
        layout=layout, num_classes=len(classes), class_names=classes, feats=tuple(cfg.feats),
        clip_len=cfg.clip_len, num_person=cfg.num_person, num_clips=1, window=cfg.window, fps=cfg.fps,
        normalization=normalization, recenter=cfg.recenter, rescale=cfg.rescale,
        img_shape=tuple(cfg.img_shape) if cfg.img_shape else DEFAULT_IMG_SHAPE,
        in_channels=3 * len(cfg.feats))
    if first["keypoint"].shape[2] != spec.skeleton().num_joints:
        raise ConfigError(f"'data.layout': layout {layout!r} does not fit the data's "
                          f"{first['keypoint'].shape[2]} joints")
    if cfg.bone_lengths and train:  # people as the model will see them in training, every source
        spec = dataclasses.replace(spec, bone_lengths=bone_proportions(train, spec.skeleton().bone_pairs))
    return PreparedData(spec, train, val, test, classes)
