"""Knowledge distillation: a student trained on a teacher's class probabilities as well as the labels.

The teacher is usually an ensemble of one recipe trained with several seeds (`model/ensemble.py`): it is
more robust on unseen people than any one member but costs a forward pass per member online. A student
trained to match its probabilities on the same augmented clips keeps one model's cost.

The teacher sees exactly the clip the student sees, so it must read clips the same way: the same
layout, streams, normalisation and classes (`load_teacher` checks). A packaged model's `unknown`
margin (`training/package_model.py --unknown-margin`, recorded in its meta) is undone, so the student
learns the trained probabilities and gets the margin once, when it is packaged itself.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from action_recognition.model.checkpoint import (
    Checkpoint,
    CheckpointError,
    load_model_file,
    set_unknown_margin,
)
from action_recognition.model.spec import ModelSpec

# Spec fields that decide what a clip tensor means and what the outputs are; the others (clip_len,
# window, fps, arch) may differ between teacher and student.
INPUT_FIELDS = ("layout", "class_names", "feats", "num_person", "normalization", "img_shape", "in_channels",
                "recenter", "rescale", "bone_lengths")


class TeacherError(ValueError):
    """A teacher that cannot teach this student; the message names the file, the field and the fix."""


def load_teacher(path: str | os.PathLike, student: ModelSpec, where: str = "distill.teacher") -> nn.Module:
    """The teacher as one frozen eval-mode module giving logits (an ensemble: log mean probabilities)."""
    path = Path(path)
    if not path.exists():
        raise TeacherError(f"{where}: {path} does not exist; name a checkpoint (.pth) or an ensemble.yaml "
                           "of checkpoints trained on the same classes")
    try:
        ckpt = load_model_file(path, each=_trained_probabilities)
    except CheckpointError as exc:
        raise TeacherError(f"{where}: {exc}") from None
    check_teacher_spec(ckpt.spec, student, str(path), where)
    teacher = ckpt.model.eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    return teacher


def _trained_probabilities(ckpt: Checkpoint) -> None:
    if ckpt.meta.get("unknown_margin"):
        set_unknown_margin(ckpt, 0.0)


def check_teacher_spec(teacher: ModelSpec, student: ModelSpec, name: str, where: str) -> None:
    t, s = teacher.to_dict(), student.to_dict()
    if t.get("class_names") is None:
        raise TeacherError(f"{where}: {name} records no class names; a teacher must name its classes so "
                           "they can be matched to the student's")
    for key in INPUT_FIELDS:
        if t.get(key) != s.get(key):
            raise TeacherError(
                f"{where}: {name} differs from the student in its spec field '{key}' ({t.get(key)!r} vs "
                f"{s.get(key)!r}); a teacher must read the same clips and give the same classes: use runs "
                "of the same data settings (data.feats, layout, recenter, rescale, bone_lengths, classes)")


def distillation_loss(student: torch.Tensor, teacher: torch.Tensor, labels: torch.Tensor, weight: float,
                      temperature: float) -> torch.Tensor:
    """(1 - weight) * cross-entropy(labels) + weight * T^2 * KL(teacher_T || student_T).

    Both distributions are softened by the temperature T; the T^2 factor keeps the soft term's
    gradients at the hard term's scale whatever T is (Hinton, Vinyals, Dean 2015).
    """
    student = student.float()
    hard = F.cross_entropy(student, labels)
    if weight <= 0.0:
        return hard
    t = float(temperature)
    target = F.softmax(teacher.float().detach() / t, dim=-1)
    soft = F.kl_div(F.log_softmax(student / t, dim=-1), target, reduction="batchmean") * (t * t)
    return (1.0 - weight) * hard + weight * soft
