"""Unusable model files give one line saying what is wrong and what to do, never a traceback."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import torch
from bad_model_files import bad_model_files

from action_recognition.model import ModelSpec, build_model, save_checkpoint
from action_recognition.model.checkpoint import CheckpointError, load_checkpoint
from action_recognition.recognition import ModelSourceError, load_action_model

SPEC = ModelSpec(layout="coco", num_classes=2, class_names=["a", "b"], clip_len=16)


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    return save_checkpoint(tmp_path_factory.mktemp("m") / "model.pth", build_model(SPEC).eval(), SPEC)


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, good: Path) -> dict[str, Path]:
    return bad_model_files(tmp_path_factory.mktemp("bad"), good)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("truncated.pth", r"truncated\.pth: truncated or corrupt .*Copy the file again"),
        ("empty.pth", r"empty\.pth: truncated or corrupt"),
        ("random.pth", r"random\.pth: not a PyTorch checkpoint"),
        ("corrupt.onnx", r"corrupt\.onnx: not a readable ONNX model, corrupt or truncated"),
        ("foreign.onnx", r"foreign\.onnx: ONNX file without our model spec metadata"),
    ],
)
@pytest.mark.parametrize("backend", ["auto", "torch"])
def test_bad_model_file_is_one_clear_error(bad_files: dict[str, Path], name: str, expected: str,
                                           backend: str) -> None:
    path = bad_files[name]
    with pytest.raises(ModelSourceError, match=expected) as info:
        load_action_model(path, backend=backend)
    message = str(info.value)
    assert "\n" not in message and "trusted=True" not in message


def test_objects_in_a_checkpoint_get_advice_the_user_can_follow(tmp_path: Path, good: Path) -> None:
    """Used to advise `trusted=True`, which no command offers; now: a command that keeps the weights."""
    raw = torch.load(good, weights_only=True)
    raw["meta"]["config"] = argparse.Namespace(lr=0.1)  # as mmcv-era training scripts leave them
    path = tmp_path / "objects.pth"
    torch.save(raw, path)
    with pytest.raises(CheckpointError, match=r"stores a Python object \(argparse\.Namespace\)") as info:
        load_checkpoint(path)
    assert "trusted=True" not in str(info.value)
    advice = str(info.value).split('python -c "', 1)[1].split('"', 1)[0]
    exec(advice.replace("weights.pth", str(tmp_path / "weights.pth")))  # the advice, followed literally
    assert load_checkpoint(tmp_path / "weights.pth").spec.num_classes == 2
