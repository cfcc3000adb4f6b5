"""ModelSpec.bone_lengths: a person seen only in part (cut by the frame's edge, close to a robot) is sized
as the whole body, not blown up because mostly short bones are in view."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from training_testdata import make_tiny_dataset, tiny_config

from action_recognition.features import bone_proportions, rescale_clips, sample_to_clips
from action_recognition.model import ModelSpec, build_model, load_checkpoint, load_model_file, save_checkpoint
from action_recognition.skeleton import get_layout
from action_recognition.training.config import ConfigError
from action_recognition.training.data_setup import prepare_data

torch.set_num_threads(1)
IMG = (480, 640)
COCO = get_layout("coco")
PAIRS = np.array([(a, b) for a, b in COCO.bone_pairs if a != b])
LOWER = [11, 12, 13, 14, 15, 16]  # hips, knees, ankles: below a frame's bottom edge
SPEC = ModelSpec("coco", 3, clip_len=16, num_person=1, recenter=True, rescale=True)


def person(frames: int = 48, size: float = 1.0, at: tuple[float, float] = (320.0, 240.0),
           seed: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """(T, 17, 2) a body with long legs and a short face that walks towards the camera and waves,
    with all joints seen (scores (T, 17))."""
    rng = np.random.default_rng(seed)
    y = np.array([-90, -95, -95, -92, -92, -60, -60, -20, -20, 15, 15, 30, 30, 95, 95, 160, 160], np.float32)
    x = np.array([0, -6, 6, -12, 12, -30, 30, -38, 38, -40, 40, -18, 18, -20, 20, -22, 22], np.float32)
    base = np.stack([x, y], -1) + rng.normal(0, 1.0, (17, 2)).astype(np.float32)
    t = np.linspace(0.0, 1.0, frames, dtype=np.float32)
    kp = np.repeat(base[None], frames, 0)
    kp[:, 9, 1] -= 40 * np.abs(np.sin(6 * t))  # the left hand waves
    kp = kp * (1.0 + 0.3 * t)[:, None, None] * size + np.float32(at)
    return kp.astype(np.float32), np.ones((frames, 17), np.float32)


def clips(kp: np.ndarray, score: np.ndarray, spec: ModelSpec = SPEC) -> np.ndarray:
    sample = {"keypoint": kp[None], "keypoint_score": score[None], "img_shape": IMG}
    return sample_to_clips(sample, spec)[0, 0]


def bone(out: np.ndarray, joint: int, parent: int) -> float:
    return float(np.linalg.norm(out[:, joint, :2] - out[:, parent, :2], axis=-1).mean())


def as_sample(kp: np.ndarray, score: np.ndarray) -> dict:
    return {"keypoint": kp[None], "keypoint_score": score[None]}


def test_proportions_are_per_bone_shares_of_the_mean_bone_whatever_the_size() -> None:
    kp, score = person()
    near = bone_proportions([as_sample(kp, score)], COCO.bone_pairs)
    far = bone_proportions([as_sample(*person(size=0.4, at=(100.0, 90.0)))], COCO.bone_pairs)
    assert np.allclose(near, far, atol=2e-3)
    assert near[0] == 0.0  # the centre (nose) pairs with itself: no bone
    real = np.array(near)[PAIRS[:, 0]]
    assert np.mean(real) == pytest.approx(1.0, abs=1e-3) and (real > 0).all()
    shin, eye = near[15], near[1]  # ankle-knee against eye-nose
    assert shin > 4 * eye
    cut = score.copy()
    cut[:, LOWER] = 0.0  # never wholly in view: says nothing about the legs' share, so it is left out
    assert bone_proportions([as_sample(kp, score), as_sample(kp * 1.7, cut)], COCO.bone_pairs) == near
    assert bone_proportions([as_sample(kp, cut)], COCO.bone_pairs) == tuple([0.0] + [1.0] * 16)


def test_a_person_cut_at_the_hips_keeps_the_whole_bodys_size() -> None:
    kp, score = person()
    spec = dataclasses.replace(SPEC, bone_lengths=bone_proportions([as_sample(*person(seed=9))],
                                                                   COCO.bone_pairs))
    cut = score.copy()
    cut[:, LOWER] = 0.0
    whole = clips(kp, score, spec)
    for j, p in ((7, 5), (9, 7), (1, 0), (6, 0)):  # upper arm, forearm, face, shoulder
        assert bone(clips(kp, cut, spec), j, p) == pytest.approx(bone(whole, j, p), rel=0.03)
        assert bone(clips(kp, cut), j, p) > 1.3 * bone(clips(kp, score), j, p)  # the plain mean blows it up


def test_with_every_bone_in_view_the_input_is_the_plain_mean_ones() -> None:
    """So models trained without bone_lengths see the same whole people with them."""
    kp, score = person()
    lengths = (0.0, *np.random.default_rng(1).uniform(0.2, 3.0, 16).tolist())
    spec = dataclasses.replace(SPEC, bone_lengths=lengths)
    assert np.allclose(clips(kp, score, spec), clips(kp, score), atol=1e-5)
    feats = np.zeros((1, 4, 17, 3), np.float32)
    with pytest.raises(ValueError, match="16 bone lengths for 17"):
        rescale_clips(feats, 1, ("j",), COCO.bone_pairs, IMG, bone_lengths=lengths[1:])


def test_the_spec_checks_them_and_they_travel_with_checkpoints_and_onnx(tmp_path) -> None:
    from action_recognition.model.export import export_onnx, read_onnx_spec

    lengths = bone_proportions([as_sample(*person())], COCO.bone_pairs)
    spec = dataclasses.replace(SPEC, bone_lengths=lengths)
    for bad, match in ((lengths[:5], "5 values for the layout's 17"),
                       ((0.0, -1.0, *lengths[2:]), r"entries \[1\]"),
                       ((0.0, float("nan"), *lengths[2:]), r"entries \[1\]"),
                       ((0.0, 0.0, *lengths[2:]), r"entries \[1\]")):
        with pytest.raises(ValueError, match=match):
            dataclasses.replace(SPEC, bone_lengths=bad)
    with pytest.raises(ValueError, match=r"bone_lengths.*rescale"):
        ModelSpec("coco", 3, recenter=True, bone_lengths=lengths)
    torch.manual_seed(0)
    model = build_model(spec).eval()
    assert load_checkpoint(save_checkpoint(tmp_path / "m.pth", model, spec)).spec.bone_lengths == lengths
    export_onnx(model, tmp_path / "m.onnx", spec=spec)
    assert read_onnx_spec(tmp_path / "m.onnx").bone_lengths == lengths
    assert ModelSpec.from_dict(SPEC.to_dict()).bone_lengths is None  # written before the field: plain mean


def test_training_measures_them_on_its_data_and_the_config_names_what_they_need(tmp_path) -> None:
    data = make_tiny_dataset(tmp_path / "tiny.pkl", {"train": 6, "val": 3, "test": 3})
    on = ("data.recenter=true", "data.rescale=true")
    prepared = prepare_data(tiny_config(data, tmp_path / "run", *on, "data.bone_lengths=true").data)
    assert prepared.spec.bone_lengths == bone_proportions(prepared.train, COCO.bone_pairs)
    legs, face = prepared.spec.bone_lengths[15], prepared.spec.bone_lengths[1]
    assert legs > 2 * face
    assert prepare_data(tiny_config(data, tmp_path / "run", *on).data).spec.bone_lengths is None
    with pytest.raises(ConfigError, match=r"data\.bone_lengths.*rescale"):
        tiny_config(data, tmp_path / "run", "data.recenter=true", "data.bone_lengths=true")


def test_the_shipped_default_model_sizes_people_seen_in_part_as_whole() -> None:
    from action_recognition.paths import default_action_model

    spec = load_model_file(default_action_model()).spec  # .pth or ensemble.yaml
    assert spec.rescale and spec.bone_lengths is not None  # recipe v5: docs/accuracy.md, the model card
    lengths = np.array(spec.bone_lengths)
    assert lengths[15] > 4 * lengths[1]  # a shin against an eye-to-nose bone
