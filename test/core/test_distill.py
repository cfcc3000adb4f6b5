"""Distillation: the loss, loading and checking a teacher, and a training run that follows its teacher."""

from __future__ import annotations

import json

import pytest
import torch
from random_model import save_random_model
from training_testdata import make_tiny_dataset, tiny_config

from action_recognition.data.format import load_dataset, save_dataset
from action_recognition.model import load_checkpoint, save_checkpoint
from action_recognition.model.spec import ModelSpec
from action_recognition.training.distill import TeacherError, distillation_loss, load_teacher
from action_recognition.training.plots import train_cross_entropy
from action_recognition.training.trainer import Trainer

LABELS = ("walking", "sitting down", "unknown")


def test_loss_is_weighted_cross_entropy_plus_tempered_kl() -> None:
    torch.manual_seed(0)
    student, teacher = torch.randn(6, 4), torch.randn(6, 4)
    labels = torch.tensor([0, 1, 2, 3, 0, 1])
    w, t = 0.7, 2.0
    ps, pt = (student / t).softmax(-1), (teacher / t).softmax(-1)
    kl = (pt * (pt.log() - ps.log())).sum(-1).mean()
    ce = torch.nn.functional.cross_entropy(student, labels)
    assert float(distillation_loss(student, teacher, labels, w, t)) == pytest.approx(
        float((1 - w) * ce + w * t * t * kl), rel=1e-5)
    # the teacher term's gradient is T * (p_student - p_teacher) / N: it pulls toward the teacher
    s = student.clone().requires_grad_()
    distillation_loss(s, teacher, labels, 1.0, t).backward()
    assert torch.allclose(s.grad, t * (ps - pt) / 6, atol=1e-6)


def test_a_teacher_that_agrees_leaves_only_the_label_term() -> None:
    logits = torch.randn(5, 3)
    labels = torch.tensor([0, 1, 2, 0, 1])
    ce = float(torch.nn.functional.cross_entropy(logits, labels))
    assert float(distillation_loss(logits, logits, labels, 0.6, 3.0)) == pytest.approx(0.4 * ce, rel=1e-5)


def _spec(labels=LABELS) -> ModelSpec:
    return ModelSpec(layout="coco", num_classes=len(labels), class_names=list(labels), clip_len=16)


def _clips() -> torch.Tensor:
    torch.manual_seed(1)
    return torch.randn(3, 2, 16, 17, 3)


def test_an_ensemble_teaches_its_mean_probabilities(tmp_path) -> None:
    a = save_random_model(tmp_path / "a", LABELS, seed=0)
    b = save_random_model(tmp_path / "b", LABELS, seed=1)
    (tmp_path / "ensemble.yaml").write_text("members: [a/model.pth, b/model.pth]\n")
    teacher = load_teacher(tmp_path / "ensemble.yaml", _spec())
    x = _clips()
    with torch.no_grad():
        mean = (load_checkpoint(a).model(x).softmax(-1) + load_checkpoint(b).model(x).softmax(-1)) / 2
        assert torch.allclose(teacher(x).softmax(-1), mean, atol=1e-6)
    assert not teacher.training and not any(p.requires_grad for p in teacher.parameters())


def test_a_packaged_unknown_margin_is_undone(tmp_path) -> None:
    """The student learns the trained probabilities; its own packaging applies the margin once."""
    plain = load_checkpoint(save_random_model(tmp_path / "plain", LABELS, seed=2))
    shifted = load_checkpoint(save_random_model(tmp_path / "shifted", LABELS, seed=2))
    with torch.no_grad():
        shifted.model.cls_head.fc_cls.bias[2] -= 1.5
    path = save_checkpoint(tmp_path / "packaged.pth", shifted.model, shifted.spec, {"unknown_margin": 1.5})
    x = _clips()
    with torch.no_grad():
        assert not torch.allclose(shifted.model(x), plain.model(x), atol=1e-3)
        assert torch.allclose(load_teacher(path, _spec())(x), plain.model(x), atol=1e-5)


def test_a_teacher_must_read_the_same_clips_and_classes(tmp_path) -> None:
    path = save_random_model(tmp_path / "m", LABELS)
    with pytest.raises(TeacherError, match=r"distill\.teacher: .*model\.pth differs from the student in its "
                                           r"spec field 'class_names'"):
        load_teacher(path, _spec(("walking", "jump up", "unknown")))
    with pytest.raises(TeacherError, match=r"spec field 'recenter' \(False vs True\)"):
        load_teacher(path, ModelSpec(**{**_spec().to_dict(), "recenter": True}))
    with pytest.raises(TeacherError, match=r"nothing\.pth does not exist; name a checkpoint"):
        load_teacher(tmp_path / "nothing.pth", _spec())
    (tmp_path / "m" / "model.onnx").write_bytes(b"onnx")
    (tmp_path / "mixed.yaml").write_text("members: [m/model.pth, m/model.onnx]\n")
    with pytest.raises(TeacherError, match=r"distill\.teacher: .*members \['model\.onnx'\] are ONNX files; "
                                           r"PyTorch needs \.pth checkpoints"):
        load_teacher(tmp_path / "mixed.yaml", _spec())
    (tmp_path / "broken.yaml").write_text("members: [m/missing.pth]\n")
    with pytest.raises(TeacherError, match=r"distill\.teacher: .*missing\.pth"):
        load_teacher(tmp_path / "broken.yaml", _spec())


def _agreement(model: torch.nn.Module, trainer: Trainer, other: torch.nn.Module) -> float:
    """Share of training clips on which `model` and `other` predict the same class."""
    ds = trainer.train_set
    ds.set_epoch(0)
    x = torch.stack([ds[i][0] for i in range(len(ds))])
    model.eval()
    with torch.no_grad():
        return float((model(x).argmax(-1) == other(x).argmax(-1)).float().mean())


def _history(run) -> list[dict]:
    return [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]


def test_a_student_follows_its_teacher_rather_than_its_labels(tmp_path) -> None:
    """Trained on wrong labels, a weight-1 student still learns the teacher's answers; labels alone do not."""
    right = make_tiny_dataset(tmp_path / "right.pkl")
    Trainer(tiny_config(right, tmp_path / "teacher", "epochs=10", "data.test_split=null")).fit()
    data = load_dataset(right)
    for sample in data["annotations"]:
        sample["label"] = (sample["label"] + 1) % 3  # every label names another class
    wrong = save_dataset(data, tmp_path / "wrong.pkl")
    teacher_file = tmp_path / "teacher" / "best.pth"
    common = ("epochs=10", "data.test_split=null", "data.val_split=null")
    student = Trainer(tiny_config(wrong, tmp_path / "student", *common, f"distill.teacher={teacher_file}",
                                  "distill.weight=1.0"))
    student.fit()
    labels_only = Trainer(tiny_config(wrong, tmp_path / "labels", *common))
    labels_only.fit()
    teacher = load_teacher(teacher_file, student.spec)
    follows = _agreement(student.model, student, teacher)
    baseline = _agreement(labels_only.model, student, teacher)
    assert follows > 0.6 and follows > baseline + 0.3, (follows, baseline)
    # log.jsonl keeps the labels' cross-entropy apart from the distillation loss: the student does not
    # fit the wrong labels, the labels-only run does, and without a teacher the two columns are one
    student_log = _history(tmp_path / "student")
    labels_log = _history(tmp_path / "labels")
    assert all(r["train_ce"] == pytest.approx(r["train_loss"], rel=1e-6) for r in labels_log)
    assert student_log[-1]["train_ce"] > labels_log[-1]["train_ce"] + 0.3, (student_log[-1], labels_log[-1])
    assert student_log[-1]["train_ce"] > student_log[-1]["train_loss"]
    # the loss curve draws the labels' cross-entropy, also for epochs logged before train_ce existed
    older = [{k: v for k, v in r.items() if k != "train_ce"} for r in student_log[:2]]
    assert train_cross_entropy(older + student_log[2:]) == (
        [r["train_loss"] for r in student_log[:2]] + [r["train_ce"] for r in student_log[2:]])
    assert load_checkpoint(tmp_path / "student" / "best.pth").meta["config"]["distill"]["teacher"] == str(
        teacher_file)
