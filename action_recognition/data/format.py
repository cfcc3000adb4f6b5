"""PYSKL-format skeleton data sets: load, validate, save.

A data set is a pickled dict ``{"split": {name: [frame_dir, ...]}, "annotations": [sample, ...]}``.
Each sample holds ``frame_dir`` (str), ``label`` (int), ``total_frames`` (int), ``keypoint`` (M, T, V, C)
and, for 2D data, ``keypoint_score`` (M, T, V), ``img_shape`` and ``original_shape`` (height, width). PYSKL's
own files (such as ntu60_hrnet.pkl or ntu60_3danno.pkl) load unchanged. This package may add top-level keys
PYSKL ignores: ``classes`` (label names, index = label) and ``layout`` (skeleton layout name).

Pickles are code: a pickle can name any function to call while it is read. `load_dataset` therefore
reads with a restricted unpickler (`safe_pickle`: numpy arrays, dtypes, scalars and builtin
containers only) and refuses anything else before calling it; `unsafe_pickle=True` (CLI:
`--unsafe-pickle`) is plain `pickle.load`, for files whose origin you trust.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from action_recognition.data import safe_pickle

REQUIRED_SAMPLE_KEYS: tuple[str, ...] = ("frame_dir", "label", "total_frames", "keypoint")


class DatasetError(ValueError):
    """A data set file or sample that breaks the PYSKL format; the message names the sample."""


def _sample_error(index: int, sample: Mapping[str, Any], problem: str) -> DatasetError:
    name = sample.get("frame_dir", "?") if isinstance(sample, Mapping) else "?"
    return DatasetError(f"sample #{index} ({name!r}): {problem}")


def validate_sample(
    sample: Mapping[str, Any],
    index: int = 0,
    num_classes: int | None = None,
    num_joints: int | None = None,
) -> None:
    """Check one annotation; raise DatasetError naming the sample on the first problem found."""
    if not isinstance(sample, Mapping):
        raise DatasetError(f"sample #{index}: expected a dict, got {type(sample).__name__}")
    missing = [k for k in REQUIRED_SAMPLE_KEYS if k not in sample]
    if missing:
        hint = " (Kinetics-style 'raw_file' samples are not supported)" if "raw_file" in sample else ""
        raise _sample_error(index, sample, f"missing key(s) {', '.join(missing)}{hint}")
    label = sample["label"]
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)):
        raise _sample_error(index, sample, f"label must be an int, got {type(label).__name__}")
    if label < 0 or (num_classes is not None and label >= num_classes):
        limit = f"[0, {num_classes})" if num_classes is not None else ">= 0"
        raise _sample_error(index, sample, f"label {int(label)} out of range {limit}")
    kp = sample["keypoint"]
    if not isinstance(kp, np.ndarray) or kp.ndim != 4:
        shape = getattr(kp, "shape", type(kp).__name__)
        raise _sample_error(index, sample, f"keypoint must be an array (M, T, V, C), got {shape}")
    if not np.issubdtype(kp.dtype, np.floating):
        raise _sample_error(index, sample, f"keypoint must be floating point, got {kp.dtype}")
    m, t, v, c = kp.shape
    if m < 1 or t < 1 or v < 1:
        raise _sample_error(index, sample, f"keypoint has an empty axis: shape {kp.shape}")
    if c not in (2, 3):
        raise _sample_error(index, sample, f"keypoint C must be 2 or 3, got shape {kp.shape}")
    if num_joints is not None and v != num_joints:
        raise _sample_error(index, sample, f"keypoint has {v} joints, the data set has {num_joints}")
    if int(sample["total_frames"]) != t:
        raise _sample_error(index, sample, f"total_frames {sample['total_frames']} != keypoint T {t}")
    if not np.isfinite(kp).all():
        raise _sample_error(index, sample, "keypoint holds NaN or inf")
    score = sample.get("keypoint_score")
    if score is None:
        if c == 2:
            raise _sample_error(index, sample, "2D keypoint without keypoint_score")
    elif not isinstance(score, np.ndarray) or score.shape != (m, t, v):
        shape = getattr(score, "shape", type(score).__name__)
        raise _sample_error(index, sample, f"keypoint_score shape {shape} != (M, T, V) {(m, t, v)}")
    for key in ("img_shape", "original_shape"):
        if key in sample:
            shp = sample[key]
            if len(shp) != 2 or min(int(x) for x in shp) <= 0:
                raise _sample_error(index, sample, f"{key} must be (height, width), got {shp!r}")
    if c == 2 and "img_shape" not in sample:
        raise _sample_error(index, sample, "2D sample without img_shape")


def validate_dataset(data: Mapping[str, Any]) -> None:
    """Check the whole structure: top-level keys, every sample, split membership, class names."""
    if not isinstance(data, Mapping):
        raise DatasetError(f"expected a dict with 'split' and 'annotations', got {type(data).__name__}")
    for key in ("split", "annotations"):
        if key not in data:
            raise DatasetError(f"missing top-level key {key!r}")
    anns = data["annotations"]
    if not isinstance(anns, list):
        raise DatasetError("'annotations' must be a list")
    classes = data.get("classes")
    num_classes = len(classes) if classes is not None else None
    names: set[str] = set()
    shapes: set[tuple[int, int]] = set()
    for i, sample in enumerate(anns):
        validate_sample(sample, i, num_classes)
        if sample["frame_dir"] in names:
            raise _sample_error(i, sample, "duplicate frame_dir")
        names.add(sample["frame_dir"])
        shapes.add(sample["keypoint"].shape[2:])
    if len(shapes) > 1:
        raise DatasetError(f"samples disagree on (V, C): {sorted(shapes)}")
    split = data["split"]
    if not isinstance(split, Mapping):
        raise DatasetError("'split' must be a dict {name: [frame_dir, ...]}")
    for split_name, members in split.items():
        unknown = [m for m in members if m not in names]
        if unknown:
            raise DatasetError(
                f"split {split_name!r} names {len(unknown)} unknown sample(s), e.g. {unknown[0]!r}"
            )


def load_dataset(path: str | Path, validate: bool = True, unsafe_pickle: bool = False) -> dict[str, Any]:
    """Load a PYSKL pickle; with validate, raise DatasetError naming the first bad sample.

    Only plain data is unpickled unless `unsafe_pickle` (see the module docstring).
    """
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = safe_pickle.load(f, unsafe=unsafe_pickle)
    except safe_pickle.UnsafePickleError as exc:
        raise DatasetError(
            f"{path}: {exc}; if you trust the file's origin, load it with --unsafe-pickle "
            "(unsafe_pickle=True)"
        ) from None
    except (pickle.UnpicklingError, EOFError) as exc:
        raise DatasetError(f"{path}: not a readable pickle ({exc})") from exc
    if validate:
        try:
            validate_dataset(data)
        except DatasetError as exc:
            raise DatasetError(f"{path}: {exc}") from exc
    return data


def save_dataset(data: Mapping[str, Any], path: str | Path, validate: bool = True) -> Path:
    """Write a data set atomically (a temporary file renamed into place), after validating it."""
    if validate:
        validate_dataset(data)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        pickle.dump(dict(data), f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    return path


def split_samples(data: Mapping[str, Any], split: str | None) -> list[dict[str, Any]]:
    """The annotations of one split (all of them when split is None), in file order."""
    anns = data["annotations"]
    if split is None:
        return list(anns)
    if split not in data["split"]:
        raise DatasetError(f"no split {split!r}; the file has {sorted(data['split'])}")
    members = set(data["split"][split])
    return [a for a in anns if a["frame_dir"] in members]


def class_names(data: Mapping[str, Any]) -> list[str]:
    """Class names stored in the file, else placeholders 'class_<i>' up to the largest label."""
    if data.get("classes") is not None:
        return [str(c) for c in data["classes"]]
    labels: Iterable[int] = (int(a["label"]) for a in data["annotations"])
    top = max(labels, default=-1)
    return [f"class_{i}" for i in range(top + 1)]
