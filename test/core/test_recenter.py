"""ModelSpec.recenter: a clip's joint stream centred on the person, so where someone stands in the frame
is not part of the input (a robot's camera frames people anywhere; data sets film them near the centre)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from training_testdata import make_tiny_dataset, tiny_config

from action_recognition.features import recenter_clips, sample_to_clips
from action_recognition.model import ModelSpec, TorchBackend, build_model, load_checkpoint, save_checkpoint
from action_recognition.recognition import ActionRecognizer, PersonFrame, RecognizerConfig
from action_recognition.training.config import ConfigError
from action_recognition.training.data_setup import prepare_data

torch.set_num_threads(1)
IMG = (720, 1280)
SPEC = ModelSpec("coco", 3, class_names=["a", "b", "c"], clip_len=16, num_person=1, recenter=True)


def sitting(frames: int = 60, at: tuple[float, float] = (640.0, 300.0)) -> tuple[np.ndarray, np.ndarray]:
    """(T, 17, 2) a figure standing at `at` whose joints sink 80 px, and (T, 17) scores with gaps."""
    t = np.linspace(0.0, 1.0, frames, dtype=np.float32)
    rng = np.random.default_rng(1)
    base = np.stack([at[0] + rng.uniform(-40, 40, 17), at[1] + np.linspace(-150, 150, 17)], -1)
    kp = (base[None] + np.stack([np.zeros_like(t), 80 * t], -1)[:, None]).astype(np.float32)
    score = rng.uniform(0.3, 1.0, (frames, 17)).astype(np.float32)
    score[20:40, 5] = 0.0  # missed joints: PreNormalize2D puts them at the centre, recentring must too
    return kp, score


def clips(kp: np.ndarray, score: np.ndarray, spec: ModelSpec = SPEC) -> np.ndarray:
    return sample_to_clips({"keypoint": kp[None], "keypoint_score": score[None], "img_shape": IMG}, spec)


def test_the_same_motion_anywhere_in_the_frame_gives_the_same_input() -> None:
    kp, score = sitting()
    moved = kp + np.float32([-400.0, 250.0])  # lower left, still inside the image
    assert np.allclose(clips(kp, score), clips(moved, score), atol=1e-5)
    plain = ModelSpec("coco", 3, clip_len=16, num_person=1)  # PYSKL's input keeps the place
    assert not np.allclose(clips(kp, score, plain), clips(moved, score, plain), atol=1e-2)


def test_visible_joints_average_to_the_centre_and_the_motion_stays() -> None:
    kp, score = sitting()
    out = clips(kp, score)[0, 0]  # (L, V, 3)
    plain = clips(kp, score, ModelSpec("coco", 3, clip_len=16, num_person=1))[0, 0]
    visible = out[..., 2] > 0.01
    assert np.allclose(out[..., :2][visible].mean(0), 0.0, atol=1e-5)
    assert np.all(out[..., :2][~visible] == 0.0) and (~visible).any()
    # frame-to-frame motion of joints seen in both frames is what it was: the person still sinks
    both = visible[1:] & visible[:-1]
    assert np.allclose(np.diff(out[..., :2], axis=0)[both], np.diff(plain[..., :2], axis=0)[both], atol=1e-5)
    assert out[-1, :, 1][visible[-1]].mean() - out[0, :, 1][visible[0]].mean() > 0.1  # y down the image


def test_a_person_the_model_does_not_see_does_not_move_the_centre() -> None:
    kp, score = sitting()
    other = kp + np.float32([450.0, 0.0])  # a second person the 1-person model never gets
    both = {"keypoint": np.stack([kp, other]), "keypoint_score": np.stack([score, score]), "img_shape": IMG}
    assert np.allclose(sample_to_clips(both, SPEC), clips(kp, score), atol=1e-6)
    two = ModelSpec("coco", 3, clip_len=16, num_person=2, recenter=True)  # both seen: one common centre
    out = sample_to_clips(both, two)[0]
    visible = out[..., 2] > 0.01
    assert np.allclose(out[..., :2][visible].mean(0), 0.0, atol=1e-5)
    assert out[1, ..., 0][visible[1]].mean() - out[0, ..., 0][visible[0]].mean() > 0.4  # still apart


def test_each_clip_is_centred_on_its_own_frames() -> None:
    feats = np.zeros((1, 8, 17, 3), np.float32)
    feats[:, :4, :, :2] = 0.5  # clip 1 up right, clip 2 down left, one clip half invisible
    feats[:, 4:, :, :2] = -0.3
    feats[..., 2] = 0.9
    feats[:, 4:6, :, 2] = 0.0
    feats[:, 4:6, :, :2] = 0.0
    out = recenter_clips(feats, num_clips=2)
    assert np.allclose(out[..., :2], 0.0, atol=1e-6)
    assert np.array_equal(out[..., 2], feats[..., 2])
    empty = np.zeros((2, 6, 17, 3), np.float32)
    assert np.array_equal(recenter_clips(empty, num_clips=3), empty)  # nobody visible: nothing to move
    with pytest.raises(ValueError, match="clips"):
        recenter_clips(feats, num_clips=3)


def test_only_the_joint_stream_of_several_is_moved() -> None:
    kp, score = sitting()
    score = np.maximum(score, 0.3)  # a bone to a missed joint (put at the centre) depends on the place
    spec = ModelSpec("coco", 3, clip_len=16, num_person=1, feats=("b", "j"), in_channels=6, recenter=True)
    moved = kp + np.float32([300.0, -100.0])
    a, b = clips(kp, score, spec), clips(moved, score, spec)
    assert np.allclose(a, b, atol=1e-5)
    plain = ModelSpec("coco", 3, clip_len=16, num_person=1, feats=("b", "j"), in_channels=6)
    assert np.allclose(a[..., :3], clips(kp, score, plain)[..., :3])  # bones untouched


def test_the_recognizer_labels_a_person_the_same_wherever_they_stand() -> None:
    torch.manual_seed(0)
    backend = TorchBackend(build_model(SPEC), SPEC)
    kp, score = sitting(40)
    results = []
    for shift in ((0.0, 0.0), (-450.0, 280.0)):
        rec = ActionRecognizer(backend, SPEC, ["a", "b", "c"], RecognizerConfig(stride_s=0.5))
        out = []
        for i in range(len(kp)):
            rec.add_frame(i * 33_333_333, [PersonFrame(1, kp[i] + np.float32(shift), score[i])], IMG)
            out += rec.step()
        results.append(np.stack([r.probabilities for r in out]))
    assert len(results[0]) >= 2
    assert np.allclose(results[0], results[1], atol=1e-5)


def test_recenter_travels_with_a_checkpoint_and_old_ones_load_without_it(tmp_path) -> None:
    path = save_checkpoint(tmp_path / "m.pth", build_model(SPEC), SPEC)
    assert load_checkpoint(path).spec.recenter is True
    old = SPEC.to_dict()
    del old["recenter"]
    assert ModelSpec.from_dict(old).recenter is False


@pytest.mark.parametrize("kwargs", [{"normalization": "3d"}, {"feats": ("b",)}])
def test_recenter_needs_a_2d_joint_stream(kwargs) -> None:
    with pytest.raises(ValueError, match="recenter"):
        ModelSpec("coco", 3, recenter=True, **kwargs)


def test_training_writes_it_into_the_spec_and_refuses_it_for_bones_only(tmp_path) -> None:
    data = make_tiny_dataset(tmp_path / "tiny.pkl", {"train": 6, "val": 3, "test": 3})
    cfg = tiny_config(data, tmp_path / "run", "data.recenter=true")
    assert prepare_data(cfg.data).spec.recenter is True
    bones = tiny_config(data, tmp_path / "run", "data.recenter=true", "data.feats=[b]")
    with pytest.raises(ConfigError, match=r"data\.recenter"):
        prepare_data(bones.data)


def test_the_shipped_default_model_recentres() -> None:
    from action_recognition.model.checkpoint import load_model_file
    from action_recognition.paths import default_action_model

    spec = load_model_file(default_action_model()).spec
    assert spec.recenter and spec.normalization == "2d"  # recipe v3: docs/accuracy.md, the model card


def test_an_onnx_export_keeps_recenter(tmp_path) -> None:
    """The action node loads the ONNX export without the .pth: the flag must travel in its metadata."""
    from action_recognition.model.export import export_onnx, read_onnx_spec

    torch.manual_seed(0)
    path = tmp_path / "m.onnx"
    export_onnx(build_model(SPEC).eval(), path, spec=SPEC)
    assert read_onnx_spec(path).recenter is True
