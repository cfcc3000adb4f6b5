"""Checkpoints: PYSKL/mmaction files load strictly; our own files carry a spec that rebuilds the model."""

from __future__ import annotations

import pytest
import torch
from pyskl_facts import random_pyskl_state_dict

from action_recognition.model import (
    CheckpointError,
    ModelSpec,
    create_backend,
    load_checkpoint,
    save_checkpoint,
)

torch.set_num_threads(1)


def _pyskl_file(tmp_path, joints, classes, prefix="", name="pyskl.pth"):
    sd = random_pyskl_state_dict(joints, classes)
    path = tmp_path / name
    meta = {"mmcv_version": "1.5.0", "epoch": 16, "config": "model = dict(type='RecognizerGCN')"}
    torch.save({"meta": meta, "state_dict": {prefix + k: v for k, v in sd.items()}}, path)
    return path, sd


@pytest.mark.parametrize("prefix", ["", "module."])
def test_pyskl_checkpoint_loads_strict(tmp_path, prefix):
    path, sd = _pyskl_file(tmp_path, 25, 60, prefix)
    ckpt = load_checkpoint(path, strict=True)
    assert ckpt.spec.layout == "nturgb+d" and ckpt.spec.num_classes == 60 and ckpt.spec.in_channels == 3
    assert ckpt.spec.normalization == "3d"
    loaded = ckpt.model.state_dict()
    assert set(loaded) == set(sd)
    assert all(torch.equal(loaded[k], sd[k]) for k in sd)
    assert not ckpt.model.training


def test_pyskl_coco_checkpoint_and_overrides(tmp_path):
    path, _ = _pyskl_file(tmp_path, 17, 5)
    ckpt = load_checkpoint(path, feats=("b",), class_names=list("abcde"))
    assert ckpt.spec.layout == "coco" and ckpt.spec.normalization == "2d"
    assert ckpt.spec.feats == ("b",) and ckpt.spec.class_names == list("abcde")


def test_bare_state_dict_file(tmp_path):
    path = tmp_path / "bare.pth"
    torch.save(random_pyskl_state_dict(18, 3), path)
    assert load_checkpoint(path).spec.layout == "openpose"


def test_wrong_shapes_are_reported(tmp_path):
    path, _ = _pyskl_file(tmp_path, 17, 5)
    with pytest.raises(CheckpointError, match="do not fit"):
        load_checkpoint(path, layout="nturgb+d")


def test_unknown_joint_count_asks_for_layout(tmp_path):
    path = tmp_path / "odd.pth"
    sd = random_pyskl_state_dict(17, 3)
    sd["backbone.gcn.0.gcn.A"] = torch.zeros(3, 9, 9)
    torch.save({"state_dict": sd}, path)
    with pytest.raises(CheckpointError, match="layout="):
        load_checkpoint(path)


def test_own_checkpoint_round_trip_with_custom_layout(tmp_path):
    layout = {"name": "arm", "joints": ["s", "e", "w", "h"], "edges": [[1, 0], [2, 1], [3, 2]], "center": 0}
    spec = ModelSpec(layout=layout, num_classes=3, class_names=["wave", "point", "rest"], feats=("j", "b"),
                     in_channels=6, clip_len=48, num_person=1)
    from action_recognition.model import build_model

    model = build_model(spec).eval()
    path = save_checkpoint(tmp_path / "run" / "best.pth", model, spec, meta={"epoch": 3})
    raw = torch.load(path, weights_only=True)
    assert set(raw) == {"meta", "state_dict"}
    assert raw["meta"]["epoch"] == 3
    assert all(k.startswith(("backbone.", "cls_head.")) for k in raw["state_dict"])
    ckpt = load_checkpoint(path)
    assert ckpt.spec == spec
    assert ckpt.spec.skeleton().edges == ((1, 0), (2, 1), (3, 2))
    x = torch.randn(2, 1, 48, 4, 6)
    with torch.inference_mode():
        torch.testing.assert_close(ckpt.model(x), model(x))
    backend = create_backend(path)
    assert backend.spec == spec
    torch.testing.assert_close(torch.from_numpy(backend.predict(x.numpy())), model(x), atol=1e-4, rtol=1e-4)


def test_non_checkpoint_file_is_rejected(tmp_path):
    path = tmp_path / "x.pth"
    torch.save({"state_dict": {}}, path)
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="no such"):
        load_checkpoint(tmp_path / "missing.pth")


def test_unknown_margin_is_set_not_stacked(tmp_path) -> None:
    """The margin is relative to the trained weights: setting it twice does not lower twice; 0 undoes it."""
    from random_model import save_random_model

    from action_recognition.model.checkpoint import set_unknown_margin

    ckpt = load_checkpoint(save_random_model(tmp_path / "m", ("walking", "waving", "unknown")))
    x = torch.randn(2, 2, 16, 17, 3)
    with torch.no_grad():
        trained = ckpt.model(x)
        for _ in range(2):
            set_unknown_margin(ckpt, 1.5)
        shifted = ckpt.model(x)
        torch.testing.assert_close(shifted[:, 2], trained[:, 2] - 1.5)
        torch.testing.assert_close(shifted[:, :2], trained[:, :2])
        assert ckpt.meta["unknown_margin"] == 1.5
        set_unknown_margin(ckpt, 0.0)
        torch.testing.assert_close(ckpt.model(x), trained)
    plain = load_checkpoint(save_random_model(tmp_path / "p", ("walking", "waving")))
    with pytest.raises(CheckpointError, match="no `unknown` class"):
        set_unknown_margin(plain, 1.0)
