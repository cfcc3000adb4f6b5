"""Reading and writing checkpoints: PYSKL/mmaction files and our own (PYSKL's dict + a spec).

Our file is `{'meta': {'model_spec': {...}, 'format': ...}, 'state_dict': {PYSKL keys}}`, so PYSKL
can load it too, and the spec alone rebuilds the model.
"""

from __future__ import annotations

import os
import pickle
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import torch

from action_recognition.model.spec import ModelSpec
from action_recognition.model.stgcn import STGCNPP

CHECKPOINT_FORMAT = "action_recognition/stgcnpp"
_LAYOUT_BY_JOINTS = {25: "nturgb+d", 17: "coco", 18: "openpose"}


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message says what is wrong and what to do."""


class Checkpoint(NamedTuple):
    model: STGCNPP
    spec: ModelSpec
    meta: dict


def set_unknown_margin(ckpt: Checkpoint, margin: float) -> None:
    """Lower the internal `unknown` class's logit by `margin` below the trained weights' (a head-bias change,
    `training/package_model.py --unknown-margin`), recorded as meta['unknown_margin']; 0 gives the trained
    model back. CheckpointError for a model without an `unknown` class."""
    names = list(ckpt.spec.class_names or [])
    if "unknown" not in names:
        raise CheckpointError("the model has no `unknown` class")
    change = float(margin) - float(ckpt.meta.get("unknown_margin") or 0.0)
    with torch.no_grad():
        ckpt.model.cls_head.fc_cls.bias[names.index("unknown")] -= change
    ckpt.meta["unknown_margin"] = float(margin)


def read_checkpoint_file(path: str | os.PathLike, trusted: bool = False) -> dict:
    """The raw dict of a .pth file; only plain data unless `trusted` (full pickle) is set.

    Every way a file can be unusable (missing, truncated, random bytes, Python objects that would
    need code to load) is one CheckpointError line saying what to do.
    """
    try:
        return torch.load(os.fspath(path), map_location="cpu", weights_only=not trusted)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint file") from None
    except pickle.UnpicklingError as exc:
        refused = re.search(r"Unsupported global: GLOBAL (\S+)", str(exc))
        if refused is None:  # torch's weights-only reader also says "weights only" for plain junk
            raise CheckpointError(_unreadable(path, "not a PyTorch checkpoint")) from None
        raise CheckpointError(
            f"{path}: stores a Python object ({refused[1]}) besides the weights; loading it could run code, "
            "so only tensors and plain data are read. If you trust the file, keep just its weights: "
            f"python -c \"import torch; c = torch.load('{path}', weights_only=False); "
            f"torch.save({{'state_dict': c['state_dict']}}, 'weights.pth')\" and use weights.pth"
        ) from None
    except (RuntimeError, OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        # torch's zip reader raises OSError/RuntimeError on a cut file, the pickle reader EOFError
        raise CheckpointError(_unreadable(path, f"truncated or corrupt ({type(exc).__name__})")) from None


def _unreadable(path: str | os.PathLike, what: str) -> str:
    size = os.path.getsize(path) if os.path.exists(path) else 0
    return (f"{path}: {what}; cannot read it as a .pth ({size} bytes). Copy the file again "
            "(a download may have been cut short) or train one with `action-recognition train`")


def extract_state_dict(raw: Any, source: str = "<checkpoint>") -> dict[str, torch.Tensor]:
    """PYSKL-key state_dict from a file's content: `state_dict`/`model` wrappers, `module.` prefixes."""
    if isinstance(raw, dict) and isinstance(raw.get("state_dict"), dict):
        raw = raw["state_dict"]
    elif isinstance(raw, dict) and isinstance(raw.get("model"), dict):
        raw = raw["model"]
    if not isinstance(raw, dict) or not raw:
        raise CheckpointError(
            f"{source}: no state_dict found (expected {{'meta', 'state_dict'}} or a bare dict)")
    out = {}
    for key, value in raw.items():
        while key.startswith("module."):  # DataParallel / DistributedDataParallel wrappers
            key = key[len("module."):]
        out[key] = value
    return _mmaction2_head_keys(out)


# mmaction2 1.x's GCNHead names its linear layer `fc`; PYSKL (and mmaction2 0.x) call it `fc_cls`.
# The backbones' keys are the same, so renaming the head is all a 1.x checkpoint needs.
_MMACTION2_HEAD = {"cls_head.fc.weight": "cls_head.fc_cls.weight", "cls_head.fc.bias": "cls_head.fc_cls.bias"}


def _mmaction2_head_keys(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    if any(k in state_dict for k in _MMACTION2_HEAD.values()):
        return state_dict
    return {_MMACTION2_HEAD.get(k, k): v for k, v in state_dict.items()}


def infer_spec(state_dict: dict[str, torch.Tensor], source: str = "<checkpoint>",
               **overrides: Any) -> ModelSpec:
    """A spec for a file without one (PYSKL zoo): classes, joints and channels from the shapes."""
    try:
        num_classes = int(state_dict["cls_head.fc_cls.weight"].shape[0])
        num_joints = int(state_dict["backbone.gcn.0.gcn.A"].shape[-1])
        in_channels = int(state_dict["backbone.data_bn.weight"].shape[0]) // num_joints
    except KeyError as exc:
        raise CheckpointError(f"{source}: not an ST-GCN++ state_dict (missing {exc})") from None
    fields: dict[str, Any] = {"num_classes": num_classes, "in_channels": in_channels}
    if "layout" not in overrides:
        if num_joints not in _LAYOUT_BY_JOINTS:
            raise CheckpointError(
                f"{source}: {num_joints} joints match no built-in layout; pass layout=<name or file>")
        fields["layout"] = _LAYOUT_BY_JOINTS[num_joints]
        if num_joints == 25 and "normalization" not in overrides:
            fields["normalization"] = "3d"
    fields.update(overrides)
    return ModelSpec(**fields)


def build_model(spec: ModelSpec) -> STGCNPP:
    return STGCNPP(spec.skeleton(), spec.num_classes, in_channels=spec.in_channels, **spec.arch)


def load_checkpoint(path: str | os.PathLike, spec: ModelSpec | None = None, strict: bool = True,
                    trusted: bool = False, **spec_overrides: Any) -> Checkpoint:
    """Load our checkpoint or a PYSKL/mmaction one into an eval-mode `STGCNPP`.

    The spec comes from, in order: `spec`, the file's `meta['model_spec']`, or is inferred from the
    weights' shapes (+ `spec_overrides`, e.g. layout="my_layout.yaml", feats=("b",)).
    """
    source = os.fspath(path)
    raw = read_checkpoint_file(path, trusted=trusted)
    meta = raw.get("meta") if isinstance(raw, dict) and isinstance(raw.get("meta"), dict) else {}
    state_dict = extract_state_dict(raw, source)
    if spec is None:
        if isinstance(meta.get("model_spec"), dict):
            data = {**meta["model_spec"], **spec_overrides}
            spec = ModelSpec.from_dict(data)
        else:
            spec = infer_spec(state_dict, source, **spec_overrides)
    model = build_model(spec)
    try:
        model.load_state_dict(state_dict, strict=strict)
    except RuntimeError as exc:
        raise CheckpointError(f"{source}: weights do not fit the spec {spec.to_dict()}: {exc}") from None
    return Checkpoint(model.eval(), spec, meta)


def save_checkpoint(path: str | os.PathLike, model: STGCNPP, spec: ModelSpec,
                    meta: dict | None = None) -> Path:
    """Write `{'meta': {..., 'model_spec'}, 'state_dict'}` (PYSKL-loadable, self-describing)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    full_meta = dict(meta or {})
    full_meta.update({"format": CHECKPOINT_FORMAT, "format_version": 1, "model_spec": spec.to_dict()})
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"meta": full_meta, "state_dict": state}, path)
    return path


class MeanProbability(torch.nn.Module):
    """An ensemble as one module: forward gives the log of the members' mean softmax probabilities
    (so a softmax downstream yields that mean; `model/ensemble.py`)."""

    def __init__(self, members: list[STGCNPP]) -> None:
        super().__init__()
        self.members = torch.nn.ModuleList(members)
        self.num_joints, self.in_channels = members[0].num_joints, members[0].in_channels
        self.num_classes = members[0].num_classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        probs = torch.stack([m(x).float().softmax(dim=-1) for m in self.members]).mean(dim=0)
        return probs.clamp_min(torch.finfo(torch.float32).tiny).log()


def load_model_file(path: str | os.PathLike, each: Callable[[Checkpoint], None] | None = None,
                    **kwargs: Any) -> Checkpoint:
    """`load_checkpoint` for a checkpoint, or an ensemble file's .pth members as one `MeanProbability`
    module (spec: the members' common one; meta: the first member's plus 'ensemble_members').

    `each` is applied to every checkpoint read (the file itself, or each member before they are combined),
    e.g. to change a member's head."""
    from action_recognition.model.ensemble import (
        EnsembleError,
        check_same_input,
        is_ensemble_file,
        read_ensemble,
    )

    if not is_ensemble_file(path):
        ckpt = load_checkpoint(path, **kwargs)
        if each is not None:
            each(ckpt)
        return ckpt
    try:
        ensemble = read_ensemble(path)
        onnx = [m.name for m in ensemble.members if m.suffix.lower() == ".onnx"]
        if onnx:
            raise EnsembleError(f"{path}: members {onnx} are ONNX files; PyTorch needs .pth checkpoints")
        loaded = [load_checkpoint(m, **kwargs) for m in ensemble.members]
        for ckpt in loaded if each is not None else ():
            each(ckpt)
        spec = check_same_input([c.spec for c in loaded], [m.name for m in ensemble.members], str(path))
    except EnsembleError as exc:
        raise CheckpointError(str(exc)) from None
    meta = {**loaded[0].meta, "ensemble_members": [m.name for m in ensemble.members]}
    return Checkpoint(MeanProbability([c.model for c in loaded]).eval(), spec, meta)
