"""ModelSpec.rescale: a person's size in the image and the image's aspect taken out of the input (robots
see people near and far, with cameras of any resolution; data sets film them at one distance)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from training_testdata import make_tiny_dataset, tiny_config

from action_recognition.features import REFERENCE_BONE, rescale_clips, sample_to_clips
from action_recognition.model import ModelSpec, build_model, load_checkpoint, load_model_file, save_checkpoint
from action_recognition.skeleton import get_layout
from action_recognition.training.config import ConfigError
from action_recognition.training.data_setup import prepare_data

torch.set_num_threads(1)
IMG = (480, 640)
SPEC = ModelSpec("coco", 3, clip_len=16, num_person=1, recenter=True, rescale=True)
PAIRS = np.array([(a, b) for a, b in get_layout("coco").bone_pairs if a != b])


def growing(frames: int = 60, at: tuple[float, float] = (320.0, 240.0),
            size: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(T, 17, 2) a figure at `at` that grows by half over the sequence (walks towards the camera) and
    waves, scaled by `size`, with (T, 17) scores and a missed joint."""
    t = np.linspace(0.0, 1.0, frames, dtype=np.float32)
    rng = np.random.default_rng(2)
    base = np.stack([rng.uniform(-40, 40, 17), np.linspace(-150, 150, 17)], -1).astype(np.float32)
    wave = np.zeros((frames, 17, 2), np.float32)
    wave[:, 9, 0] = 30 * np.sin(8 * t)
    kp = (base[None] + wave) * (1.0 + 0.5 * t)[:, None, None] * size + np.float32(at)
    score = rng.uniform(0.3, 1.0, (frames, 17)).astype(np.float32)
    score[10:30, 4] = 0.0
    return kp.astype(np.float32), score


def clips(kp: np.ndarray, score: np.ndarray, spec: ModelSpec = SPEC, img=IMG) -> np.ndarray:
    return sample_to_clips({"keypoint": kp[None], "keypoint_score": score[None], "img_shape": img}, spec)


def mean_bone(out: np.ndarray) -> float:
    xy, visible = out[..., :2], out[..., 2] > 0.01
    both = visible[..., PAIRS[:, 0]] & visible[..., PAIRS[:, 1]]
    return float(np.linalg.norm(xy[..., PAIRS[:, 0], :] - xy[..., PAIRS[:, 1], :], axis=-1)[both].mean())


def test_a_person_twice_as_far_gives_the_same_input() -> None:
    kp, score = growing()
    far, _ = growing(size=0.5, at=(500.0, 300.0))
    assert np.allclose(clips(kp, score), clips(far, score), atol=1e-5)
    centred = ModelSpec("coco", 3, clip_len=16, num_person=1, recenter=True)  # size still counts there
    assert not np.allclose(clips(kp, score, centred), clips(far, score, centred), atol=1e-2)


def test_the_same_pixels_in_a_wider_frame_give_the_same_input() -> None:
    """4:3 against 16:9: PreNormalize2D's x unit changes with the width, rescale's does not."""
    kp, score = growing()
    wide = clips(kp + np.float32([300, 100]), score, img=(720, 1280))
    assert np.allclose(clips(kp, score), wide, atol=1e-5)


def test_each_clip_has_the_reference_size_and_growth_inside_it_stays() -> None:
    kp, score = growing()
    out = clips(kp, score)[0, 0]  # (L, V, 3)
    assert mean_bone(out) == pytest.approx(REFERENCE_BONE, rel=1e-4)
    assert 1.35 < mean_bone(out[-3:]) / mean_bone(out[:3]) < 1.6  # grew by half from first to last frame
    plain = clips(kp, score, ModelSpec("coco", 3, clip_len=16, num_person=1))[0, 0]
    assert np.array_equal(out[..., 2], plain[..., 2])  # scores untouched
    visible = out[..., 2] > 0.01
    assert np.all(out[..., :2][~visible] == 0.0) and (~visible).any()  # missed joints stay at the centre


def test_every_stream_is_scaled_alike_and_each_clip_on_its_own() -> None:
    feats = np.zeros((1, 8, 17, 6), np.float32)  # streams j and b, two clips of 4 frames
    rng = np.random.default_rng(0)
    feats[..., [0, 1, 3, 4]] = rng.normal(0, 0.3, (1, 8, 17, 4))
    feats[..., [2, 5]] = 0.9
    feats[:, 4:, :, [0, 1, 3, 4]] *= 3.0  # the second clip three times as large
    out = rescale_clips(feats, 2, ("j", "b"), get_layout("coco").bone_pairs, (100, 100))
    assert mean_bone(out[:, :4, :, :3]) == pytest.approx(REFERENCE_BONE, rel=1e-4)
    assert mean_bone(out[:, 4:, :, :3]) == pytest.approx(REFERENCE_BONE, rel=1e-4)
    factor = out[:, :4, :, 3] / feats[:, :4, :, 3]  # the bone stream got the joint stream's factor
    assert np.allclose(factor, out[:, :4, :, 0] / feats[:, :4, :, 0], rtol=1e-4)
    assert np.allclose(out[:, :4], rescale_clips(feats[:, :4], 1, ("j", "b"), get_layout("coco").bone_pairs,
                                                 (100, 100)), atol=1e-6)
    nobody = np.zeros((1, 4, 17, 3), np.float32)
    assert np.array_equal(rescale_clips(nobody, 1, ("j",), get_layout("coco").bone_pairs, (480, 640)), nobody)
    with pytest.raises(ValueError, match="clips"):
        rescale_clips(feats, 3, ("j", "b"), get_layout("coco").bone_pairs, (100, 100))


def test_rescale_needs_recenter_and_travels_with_a_checkpoint(tmp_path) -> None:
    with pytest.raises(ValueError, match=r"rescale.*recenter"):
        ModelSpec("coco", 3, rescale=True)
    path = save_checkpoint(tmp_path / "m.pth", build_model(SPEC), SPEC)
    assert load_checkpoint(path).spec.rescale is True
    old = SPEC.to_dict()
    del old["rescale"]
    assert ModelSpec.from_dict(old).rescale is False


def test_training_writes_it_into_the_spec_and_the_config_names_what_it_needs(tmp_path) -> None:
    data = make_tiny_dataset(tmp_path / "tiny.pkl", {"train": 6, "val": 3, "test": 3})
    cfg = tiny_config(data, tmp_path / "run", "data.recenter=true", "data.rescale=true")
    spec = prepare_data(cfg.data).spec
    assert spec.rescale is True and spec.recenter is True
    with pytest.raises(ConfigError, match=r"data\.rescale.*data\.recenter"):
        tiny_config(data, tmp_path / "run", "data.rescale=true")


def test_an_onnx_export_keeps_rescale(tmp_path) -> None:
    from action_recognition.model.export import export_onnx, read_onnx_spec

    torch.manual_seed(0)
    path = tmp_path / "m.onnx"
    export_onnx(build_model(SPEC).eval(), path, spec=SPEC)
    assert read_onnx_spec(path).rescale is True


def test_the_shipped_default_model_rescales() -> None:
    from action_recognition.paths import default_action_model

    spec = load_model_file(default_action_model()).spec  # .pth or ensemble.yaml
    assert spec.rescale and spec.recenter  # recipe v4: docs/accuracy.md, the model card
