"""Training checkpoints (model + optimizer/scheduler state for resume) and fine-tuning loads."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import torch
from torch import nn

from action_recognition.model.checkpoint import (
    CheckpointError,
    extract_state_dict,
    read_checkpoint_file,
    save_checkpoint,
)
from action_recognition.model.spec import ModelSpec

HEAD_PREFIX = "cls_head."


def save_training_checkpoint(path: str | os.PathLike, model: nn.Module, spec: ModelSpec, meta: dict[str, Any],
                             training_state: dict[str, Any] | None = None) -> Path:
    """Our model checkpoint (loadable by `load_checkpoint` and PYSKL), plus `training_state` for resume.

    Written to a temporary name and renamed, so a crash never leaves a half-written latest.pth.
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    save_checkpoint(tmp, model, spec, meta)
    if training_state is not None:
        content = torch.load(tmp, map_location="cpu", weights_only=True)
        content["training_state"] = training_state
        torch.save(content, tmp)
    tmp.replace(path)
    return path


def copy_checkpoint(src: str | os.PathLike, dst: str | os.PathLike) -> Path:
    tmp = Path(str(dst) + ".tmp")
    shutil.copyfile(src, tmp)
    tmp.replace(dst)
    return Path(dst)


def read_training_state(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict[str, Any], dict]:
    """(state_dict, training_state, meta) of a checkpoint written by the trainer."""
    raw = read_checkpoint_file(path)
    if not isinstance(raw, dict) or "training_state" not in raw:
        raise CheckpointError(f"{path}: holds no training state (only latest.pth / epoch_*.pth can be "
                              "resumed; use model.pretrained=<file> to start from other weights)")
    return extract_state_dict(raw, str(path)), raw["training_state"], raw.get("meta") or {}


def load_pretrained(model: nn.Module, path: str | os.PathLike, reinit_head: bool | None = None,
                    trusted: bool = False) -> dict[str, Any]:
    """Load a checkpoint's weights (ours, PYSKL's or mmaction's) for fine-tuning.

    The backbone must match exactly. The classifier is kept when its shape matches and
    `reinit_head` is not True, and extended when the model only has more classes (the file's classes
    first, e.g. an appended `unknown`); otherwise the model's freshly initialised head stays.
    Returns {'head_reinitialised': bool, 'source_classes': int | None}.
    """
    source = os.fspath(path)
    state = extract_state_dict(read_checkpoint_file(path, trusted=trusted), source)
    own = model.state_dict()
    head_keys = [k for k in state if k.startswith(HEAD_PREFIX)]
    head_fits = bool(head_keys) and all(k in own and own[k].shape == state[k].shape for k in head_keys)
    head_weight = state.get(HEAD_PREFIX + "fc_cls.weight")
    src_classes = int(head_weight.shape[0]) if head_weight is not None else None
    extended = reinit_head is None and not head_fits and _extend_head(state, own, head_keys)
    head_fits = head_fits or extended
    drop_head = reinit_head is True or not head_fits
    if drop_head:
        state = {k: v for k, v in state.items() if not k.startswith(HEAD_PREFIX)}
    mismatched = [f"{k}: file {tuple(v.shape)} vs model {tuple(own[k].shape)}"
                  for k, v in state.items() if k in own and own[k].shape != v.shape]
    if mismatched:
        raise CheckpointError(
            f"{source}: the backbone does not fit this model (different joint count, streams or width?): "
            + "; ".join(mismatched[:3]))
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not (drop_head and k.startswith(HEAD_PREFIX))]
    if missing or unexpected:
        raise CheckpointError(f"{source}: not an ST-GCN++ checkpoint for this model: missing {missing[:3]}, "
                              f"unexpected {unexpected[:3]}")
    return {"head_reinitialised": drop_head, "head_extended": bool(extended), "source_classes": src_classes}


def _extend_head(state: dict[str, torch.Tensor], own: dict[str, torch.Tensor], head_keys: list[str]) -> bool:
    """A head for more classes than the file's (classes appended, e.g. `unknown`): the file's rows are kept
    for the classes it has, the model's fresh initialisation for the new ones. Changes `state` in place."""
    if not head_keys or any(k not in own or own[k].shape[1:] != state[k].shape[1:]
                            or own[k].shape[0] <= state[k].shape[0] for k in head_keys):
        return False
    for key in head_keys:
        grown = own[key].clone()
        grown[:state[key].shape[0]] = state[key]
        state[key] = grown
    return True
