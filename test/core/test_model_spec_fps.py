"""ModelSpec.fps: the training frame rate travels with a checkpoint; older files load as 30 fps."""

from __future__ import annotations

import pytest
import torch
from pyskl_facts import random_pyskl_state_dict

from action_recognition.model import ModelSpec, build_model, load_checkpoint, load_model_file, save_checkpoint
from action_recognition.paths import default_action_model

torch.set_num_threads(1)


def test_spec_without_fps_loads_as_30():
    spec = ModelSpec.from_dict({"layout": "coco", "num_classes": 3, "clip_len": 48, "window": 90})
    assert spec.fps == 30.0
    assert spec.window_frames == 90 and spec.window_seconds == pytest.approx(3.0)


def test_window_zero_is_clip_len_at_fps():
    spec = ModelSpec("coco", 3, clip_len=48, fps=24)
    assert spec.window_frames == 48 and spec.window_seconds == pytest.approx(2.0)


def test_fps_round_trips_through_a_checkpoint(tmp_path):
    spec = ModelSpec("coco", 3, clip_len=16, window=50, fps=25.0)
    path = save_checkpoint(tmp_path / "m.pth", build_model(spec), spec)
    assert load_checkpoint(path).spec.fps == 25.0


def test_old_checkpoint_meta_without_fps(tmp_path):
    spec = ModelSpec("coco", 3, clip_len=16)
    meta_spec = spec.to_dict()
    del meta_spec["fps"]  # as written before the field existed
    path = tmp_path / "old.pth"
    torch.save({"meta": {"model_spec": meta_spec}, "state_dict": build_model(spec).state_dict()}, path)
    assert load_checkpoint(path).spec.fps == 30.0


def test_pyskl_checkpoint_without_meta_is_30_fps(tmp_path):
    path = tmp_path / "pyskl.pth"
    torch.save({"state_dict": random_pyskl_state_dict(17, 5)}, path)
    assert load_checkpoint(path).spec.fps == 30.0


def test_shipped_default_model_has_an_fps():
    assert load_model_file(default_action_model()).spec.fps > 0  # .pth or ensemble.yaml


@pytest.mark.parametrize("fps", [0, -5, float("nan"), float("inf")])
def test_bad_fps_is_refused(fps):
    with pytest.raises(ValueError, match="fps"):
        ModelSpec("coco", 3, fps=fps)
