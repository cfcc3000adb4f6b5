"""Fine-tuning: any checkpoint (ours or PYSKL-style) onto a new class count keeps the backbone."""

from __future__ import annotations

import pytest
import torch
from training_testdata import make_tiny_dataset, tiny_config

from action_recognition.model import CheckpointError, load_checkpoint
from action_recognition.training.checkpoints import load_pretrained
from action_recognition.training.trainer import Trainer


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    """A 3-class run's best.pth and a 2-class data set to fine-tune on."""
    root = tmp_path_factory.mktemp("ft")
    three = make_tiny_dataset(root / "three.pkl")
    two = make_tiny_dataset(root / "two.pkl", classes=("sitting down", "standing up (from sitting position)"))
    Trainer(tiny_config(three, root / "src", "epochs=1", "data.test_split=null")).fit()
    return root / "src" / "best.pth", two


def test_head_is_replaced_and_backbone_kept(tmp_path, pretrained) -> None:
    src, two = pretrained
    source = load_checkpoint(src).model.state_dict()
    trainer = Trainer(tiny_config(two, tmp_path / "ft", f"model.pretrained={src}", "epochs=1"))
    assert trainer.finetune_info == {"head_reinitialised": True, "head_extended": False, "source_classes": 3}
    state = trainer.model.state_dict()
    assert state["cls_head.fc_cls.weight"].shape == (2, source["cls_head.fc_cls.weight"].shape[1])
    for key, value in source.items():
        if not key.startswith("cls_head."):
            assert torch.equal(state[key], value), key
    trainer.fit()
    ckpt = load_checkpoint(tmp_path / "ft" / "best.pth")
    assert ckpt.spec.num_classes == 2
    assert ckpt.spec.class_names == ["sitting down", "standing up (from sitting position)"]
    assert ckpt.meta["finetuned_from"] == str(src)


def test_pyskl_style_file_loads_with_module_prefix(tmp_path, pretrained) -> None:
    src, two = pretrained
    weights = load_checkpoint(src).model.state_dict()
    # mmcv/PYSKL layout: {'meta': ..., 'state_dict': ...}, here as saved from a DDP-wrapped model
    pyskl = tmp_path / "pyskl_epoch_16.pth"
    torch.save({"meta": {"epoch": 16}, "state_dict": {f"module.{k}": v for k, v in weights.items()}}, pyskl)
    trainer = Trainer(tiny_config(two, tmp_path / "ft", f"model.pretrained={pyskl}", "epochs=1"))
    assert trainer.finetune_info["head_reinitialised"]
    assert torch.equal(trainer.model.state_dict()["backbone.gcn.0.gcn.A"], weights["backbone.gcn.0.gcn.A"])


def test_same_class_count_keeps_the_head_unless_asked(tmp_path, pretrained) -> None:
    src, _ = pretrained
    model = load_checkpoint(src).model
    fresh = Trainer(tiny_config(make_tiny_dataset(tmp_path / "d.pkl"), tmp_path / "r", "epochs=1")).model
    assert load_pretrained(fresh, src) == {"head_reinitialised": False, "head_extended": False,
                                           "source_classes": 3}
    assert torch.equal(fresh.cls_head.fc_cls.weight, model.cls_head.fc_cls.weight)
    before = fresh.cls_head.fc_cls.weight.clone()
    fresh.cls_head.fc_cls.weight.data.normal_()
    changed = fresh.cls_head.fc_cls.weight.clone()
    assert load_pretrained(fresh, src, reinit_head=True)["head_reinitialised"]
    assert torch.equal(fresh.cls_head.fc_cls.weight, changed) and not torch.equal(changed, before)


def test_backbone_that_does_not_fit_is_refused(tmp_path, pretrained) -> None:
    src, two = pretrained
    with pytest.raises(CheckpointError, match="backbone does not fit"):
        Trainer(tiny_config(two, tmp_path / "x", f"model.pretrained={src}", "data.feats=[j, b]"))
