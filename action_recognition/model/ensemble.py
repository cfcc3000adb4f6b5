"""Model ensembles: several checkpoints of one input spec whose class probabilities are averaged.

An ensemble is a small YAML file beside its members (a model folder's `ensemble.yaml`):

    members: [model.pth, model_seed1.pth, model_seed2.pth]   # paths relative to this file

Each member is an ordinary checkpoint (ours or PYSKL's) and still loads on its own. The members must
take the same input (every `ModelSpec` field equal: layout, streams, clip length, normalisation,
window, classes, ...) so one clip per track feeds them all. Why: runs of one recipe that differ only in
their seed disagree most on people and sources none of them has seen; the mean of their probabilities
is steadier there than any single run (docs/accuracy.md, recipe v6).

This module reads and checks the file and combines outputs; it imports neither torch nor ONNX Runtime.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from action_recognition.model.spec import ModelSpec
from action_recognition.paths import ENSEMBLE_FILE

ENSEMBLE_SUFFIXES = (".yaml", ".yml")
__all__ = ["ENSEMBLE_FILE", "EnsembleError", "EnsembleFile", "check_same_input", "is_ensemble_file",
           "mean_probability_logits", "read_ensemble"]
MEMBER_SUFFIXES = (".pth", ".pt", ".onnx")


class EnsembleError(ValueError):
    """The ensemble file or its members cannot be used; the message names the file, field and fix."""


@dataclass(frozen=True)
class EnsembleFile:
    path: Path
    members: tuple[Path, ...]  # absolute or relative to the working directory, as loaded


def is_ensemble_file(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in ENSEMBLE_SUFFIXES


def read_ensemble(path: str | os.PathLike) -> EnsembleFile:
    """Parse and check an ensemble file: a `members` list of existing checkpoint or ONNX files."""
    path = Path(path)
    if not path.is_file():
        raise EnsembleError(f"ensemble file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise EnsembleError(f"{path}: not readable YAML ({str(exc).splitlines()[0]})") from None
    fix = "write `members: [model.pth, model_seed1.pth]` (paths relative to this file)"
    if not isinstance(data, dict) or "members" not in data:
        raise EnsembleError(f"{path}: field 'members' is missing; {fix}")
    unknown = sorted(set(data) - {"members"})
    if unknown:
        raise EnsembleError(f"{path}: unknown field(s) {unknown}; the only field is 'members'")
    members = data["members"]
    if not isinstance(members, list) or not members or not all(isinstance(m, str) and m for m in members):
        raise EnsembleError(f"{path}: field 'members' must be a non-empty list of file names; {fix}")
    if len(set(members)) != len(members):
        raise EnsembleError(f"{path}: field 'members' names a file twice; list each member once")
    resolved = []
    for name in members:
        member = path.parent / name
        if member.suffix.lower() not in MEMBER_SUFFIXES:
            raise EnsembleError(f"{path}: member {name!r} is not a checkpoint or ONNX file "
                                f"({', '.join(MEMBER_SUFFIXES)}); ensembles do not nest")
        if not member.is_file():
            raise EnsembleError(f"{path}: member {name!r} does not exist ({member}); fix the name in "
                                "'members' or restore the file")
        resolved.append(member)
    return EnsembleFile(path, tuple(resolved))


def check_same_input(specs: Sequence[ModelSpec], names: Sequence[str], source: str) -> ModelSpec:
    """The members' common spec; EnsembleError naming the first field where a member differs."""
    first = specs[0].to_dict()
    for spec, name in zip(specs[1:], names[1:], strict=True):
        other = spec.to_dict()
        for key, value in first.items():
            if other[key] != value:
                raise EnsembleError(
                    f"{source}: member {name} differs from {names[0]} in its spec field '{key}' "
                    f"({other[key]!r} vs {value!r}); an ensemble's members must take the same input "
                    "and give the same classes (runs of one recipe with different seeds)")
    return specs[0]


def mean_probability_logits(logits: Sequence[np.ndarray]) -> np.ndarray:
    """Members' logits (each (N, K)) -> log of the mean of their softmax probabilities (N, K).

    Returned as logits so that every consumer's softmax gives the averaged probabilities."""
    probs = []
    for x in logits:
        x = np.asarray(x, dtype=np.float64)
        e = np.exp(x - x.max(axis=1, keepdims=True))
        probs.append(e / e.sum(axis=1, keepdims=True))
    mean = np.mean(probs, axis=0)
    return np.log(np.maximum(mean, np.finfo(np.float32).tiny)).astype(np.float32)
