"""Real 3D skeletons seen from other viewpoints (data.reproject) and their use in training and eval."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import numpy as np
import pytest

from action_recognition.data.format import save_dataset
from action_recognition.data.reproject import (
    BODY_SCORE,
    COCO_FROM_NTU,
    FACE_SCORE,
    ntu_to_coco_3d,
    project,
    random_view,
    view_coco,
)
from action_recognition.model import ModelSpec
from action_recognition.training.augment import (
    NOISE_KEY,
    VIEW_CFG_KEY,
    VIEW_KEY,
    VIEWS_3D_KEY,
    mirror,
    mirror_pairs,
    new_view,
)
from action_recognition.training.config import ConfigError, ExtraDataConfig, config_from_dict
from action_recognition.training.data_setup import extra_samples
from action_recognition.training.dataset import SkeletonClipDataset
from action_recognition.training.real_eval import LabelledSet, seen_from

COCO_NAMES = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
              "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
              "right_knee", "left_ankle", "right_ankle")
REAL_DEV = Path(__file__).resolve().parents[3] / "shared" / "real_dev"

# A person 1.75 m tall facing the camera, 3 m away (x towards the camera's left, y up, metres).
STANDING = {
    0: (0.0, 0.0, 0.0), 1: (0.0, 0.25, 0.0), 2: (0.0, 0.5, 0.0), 3: (0.0, 0.62, 0.0),
    4: (-0.2, 0.45, 0.0), 5: (-0.25, 0.2, 0.0), 6: (-0.28, -0.05, 0.0), 7: (-0.29, -0.12, 0.0),
    8: (0.2, 0.45, 0.0), 9: (0.25, 0.2, 0.0), 10: (0.28, -0.05, 0.0), 11: (0.29, -0.12, 0.0),
    12: (-0.1, -0.05, 0.0), 13: (-0.1, -0.5, 0.0), 14: (-0.1, -0.95, 0.0), 15: (-0.1, -1.0, -0.1),
    16: (0.1, -0.05, 0.0), 17: (0.1, -0.5, 0.0), 18: (0.1, -0.95, 0.0), 19: (0.1, -1.0, -0.1),
    20: (0.0, 0.45, 0.0), 21: (-0.3, -0.18, 0.0), 22: (-0.3, -0.1, 0.0), 23: (0.3, -0.18, 0.0),
    24: (0.3, -0.1, 0.0),
}


def standing(frames: int = 20, z: float = 3.0) -> np.ndarray:
    """(1, T, 25, 3) NTU joints; the left arm swings a little so frames differ and sides are unalike."""
    base = np.array([STANDING[j] for j in range(25)], dtype=np.float64)
    base[:, 2] += z
    kp = np.repeat(base[None, None], frames, axis=1)
    kp[0, :, 6, 2] -= 0.2 * np.sin(np.arange(frames) / 3.0)
    kp[0, :, 6, 1] += 0.15
    return kp.astype(np.float32)


def test_body_joints_map_one_to_one_and_face_points_sit_on_the_head() -> None:
    kp = standing(1)[0, 0]
    coco, valid = ntu_to_coco_3d(kp)
    assert valid.all()
    for c, n in COCO_FROM_NTU.items():
        np.testing.assert_allclose(coco[c], kp[n])
    head = kp[3]
    assert np.linalg.norm(coco[:5] - head, axis=-1).max() < 0.1
    # the left eye and ear are on the person's left, i.e. the side of the left shoulder (NTU 4)
    assert coco[1, 0] < head[0] < coco[2, 0] and coco[3, 0] < coco[1, 0]
    assert coco[0, 2] < head[2]  # the nose points at the camera the person faces


def test_a_missing_joint_stays_missing() -> None:
    kp = standing(3)
    kp[0, 1, 6] = 0.0  # left wrist lost in frame 1
    uv, score = view_coco(kp, 0.0, 0.0, 3.0, 640, 480, 525.0)
    assert score[0, 1, 9] == 0 and (uv[0, 1, 9] == 0).all()
    assert score[0, 0, 9] == BODY_SCORE and score[0, 1, 0] == FACE_SCORE


def test_turning_the_person_changes_the_view_as_a_camera_would() -> None:
    kp = standing(1)
    front, _ = view_coco(kp, 0.0, 0.0, 3.0, 1280, 720, 1000.0)
    back, _ = view_coco(kp, 180.0, 0.0, 3.0, 1280, 720, 1000.0)
    side, _ = view_coco(kp, 90.0, 0.0, 3.0, 1280, 720, 1000.0)
    above, _ = view_coco(kp, 0.0, 40.0, 3.0, 1280, 720, 1000.0)

    def width(uv):  # shoulder to shoulder, signed: + when the left shoulder is on the image's right
        return uv[0, 0, 5, 0] - uv[0, 0, 6, 0]

    def height(uv):  # head to ankles
        return uv[0, 0, 15, 1] - uv[0, 0, 0, 1]

    assert width(front) > 100 and width(back) < -100  # facing the camera: left shoulder on the right
    assert abs(width(side)) < 0.3 * width(front)
    assert height(side) == pytest.approx(height(front), rel=0.05)
    assert height(above) < 0.93 * height(front)  # seen from above, the body is foreshortened ...
    assert width(above) > 1.05 * width(front)  # ... and the shoulders come nearer to the camera


def test_random_views_fit_the_image_and_follow_the_seed() -> None:
    kp = standing(30)
    shapes = set()
    for seed in range(20):
        uv, score, (h, w) = random_view(kp, np.random.default_rng(seed))
        shapes.add((h, w))
        assert uv.shape == (1, 30, 17, 2) and score.shape == (1, 30, 17)
        assert (score > 0).all()
        assert (uv[..., 0] >= 0).all() and (uv[..., 0] <= w).all()
        assert (uv[..., 1] >= 0).all() and (uv[..., 1] <= h).all()
    assert len(shapes) >= 2
    a = random_view(kp, np.random.default_rng(1))[0]
    np.testing.assert_array_equal(a, random_view(kp, np.random.default_rng(1))[0])
    assert not np.allclose(a, random_view(kp, np.random.default_rng(2))[0])


def test_random_views_keep_a_person_walking_metres_in_front_of_the_camera_and_in_frame() -> None:
    # Mocap walks cover 7-10 m. Placed by their centre, a walk towards the camera went through it and a walk
    # across left the frame (half the joints out of the image, the person up to 15 image heights tall).
    frames = 60
    for direction in ((0.0, 1.0), (1.0, 0.0), (0.7, 0.7)):
        kp = standing(frames)
        path = np.linspace(-4.0, 4.0, frames)
        kp[0, :, :, 0] += (direction[0] * path)[:, None]
        kp[0, :, :, 2] += (direction[1] * path)[:, None]
        for seed in range(15):
            uv, score, (h, w) = random_view(kp, np.random.default_rng(seed))
            assert (score > 0).all()
            assert (uv[..., 0] >= 0).all() and (uv[..., 0] <= w).all()
            assert (uv[..., 1] >= 0).all() and (uv[..., 1] <= h).all()
            tall = uv[0, :, 15:17, 1].max(-1) - uv[0, :, 0, 1]
            assert tall.max() <= 0.95 * h and tall.min() > 0.03 * h


@pytest.mark.skipif(not REAL_DEV.exists(), reason="../shared/real_dev is not on this machine")
def test_the_recorded_view_reproduces_the_real_dev_2d_files() -> None:
    for name, (w, h, f) in (("utd_mhad", (640, 480, 525.0)), ("bandai_mocap", (1280, 720, 1000.0))):
        with (REAL_DEV / f"{name}_dev_ntu3d.pkl").open("rb") as fh:
            d3 = pickle.load(fh)
        with (REAL_DEV / f"{name}_dev_coco2d.pkl").open("rb") as fh:
            d2 = {a["frame_dir"]: a for a in pickle.load(fh)["annotations"]}
        for sample in d3["annotations"][:20]:
            coco, valid = ntu_to_coco_3d(sample["keypoint"].astype(np.float64))
            uv, _ = project(coco, valid, w, h, f)
            ref = d2[sample["frame_dir"]]["keypoint"]
            np.testing.assert_allclose(uv[..., 5:, :], ref[..., 5:, :], atol=0.01)
            assert np.median(np.linalg.norm(uv[..., :5, :] - ref[..., :5, :], axis=-1)) < 6.0


def _twin_files(tmp_path: Path, frames_3d: int = 20) -> tuple[Path, Path]:
    classes = ["walking", "front boxing"]
    kp3 = standing(frames_3d)
    uv, score = view_coco(standing(20), 0.0, 0.0, 3.0, 640, 480, 525.0)
    anns2, anns3 = [], []
    for i, label in enumerate([0, 1]):
        common = {"frame_dir": f"s{i}", "label": label, "subject": 1}
        anns2.append({**common, "keypoint": uv, "keypoint_score": score, "img_shape": (480, 640),
                      "total_frames": 20})
        anns3.append({**common, "keypoint": kp3, "total_frames": frames_3d})
    split = {"dev": ["s0", "s1"]}
    p2 = save_dataset({"split": split, "annotations": anns2, "classes": classes}, tmp_path / "real2d.pkl")
    p3 = save_dataset({"split": split, "annotations": anns3, "classes": classes}, tmp_path / "real3d.pkl")
    return p2, p3


def test_extra_samples_carry_their_3d_twin_for_new_views(tmp_path: Path) -> None:
    p2, p3 = _twin_files(tmp_path)
    cfg = ExtraDataConfig(file=str(p2), file3d=str(p3), views=0.6)
    out = extra_samples(cfg, ["walking", "unknown"], "unknown", "data.extra[0]")
    assert len(out) == 2
    for s in out:
        assert s[VIEW_KEY] == 0.6 and s[VIEWS_3D_KEY].shape == (1, 20, 25, 3) and s[NOISE_KEY]
    plain = extra_samples(ExtraDataConfig(file=str(p2)), ["walking", "unknown"], "unknown", "x")
    assert not any(VIEW_KEY in s for s in plain)
    p2, p3 = _twin_files(tmp_path, frames_3d=15)  # the twin does not match frame for frame
    with pytest.raises(ConfigError, match=r"data.extra\[0\].file3d.*s0"):
        extra_samples(cfg, ["walking", "unknown"], "unknown", "data.extra[0]")
    with pytest.raises(ConfigError, match="NTU RGB"):  # a 2D file given as the 3D twin
        extra_samples(ExtraDataConfig(file=str(p2), file3d=str(p2), views=0.5), ["walking"], None, "x")


def test_config_checks_views_and_its_3d_file() -> None:
    base = {"data": {"file": "x.pkl", "extra": [{"file": "a.pkl", "views": 0.5}]}}
    with pytest.raises(ConfigError, match=r"data.extra\[0\].views.*file3d"):
        config_from_dict(base, "t.yaml")
    base["data"]["extra"][0].update(file3d="a3d.pkl", views=1.5)
    with pytest.raises(ConfigError, match=r"data.extra\[0\].views.*\[0, 1\]"):
        config_from_dict(base, "t.yaml")
    base["data"]["extra"][0]["views"] = 0.5
    assert config_from_dict(base, "t.yaml").data.extra[0].file3d == "a3d.pkl"


def test_view_pitch_sets_the_camera_elevation_of_new_views(tmp_path: Path) -> None:
    p2, p3 = _twin_files(tmp_path)

    def heights(pitch: list[float]) -> list[float]:
        cfg = ExtraDataConfig(file=str(p2), file3d=str(p3), views=1.0, view_pitch=pitch)
        sample = extra_samples(cfg, ["walking", "unknown"], "unknown", "x")[0]
        assert sample[VIEW_CFG_KEY].pitch == tuple(pitch)
        # the person facing the camera, so that the shoulders give the scale
        sample[VIEW_CFG_KEY] = dataclasses.replace(sample[VIEW_CFG_KEY], yaw=0.0, back_prob=0.0)
        out = []
        for seed in range(10):
            kp = new_view(sample, np.random.default_rng(seed))["keypoint"][0, 0]
            out.append((kp[15:17, 1].mean() - kp[0, 1]) / abs(kp[5, 0] - kp[6, 0]))
        return out

    level, above = heights([0.0, 0.0]), heights([70.0, 70.0])
    assert min(level) > 2.0 * max(above)  # seen from above, a standing person looks short
    default = extra_samples(ExtraDataConfig(file=str(p2), file3d=str(p3), views=1.0), ["walking"], None, "x")
    assert default[0][VIEW_CFG_KEY].pitch == (-10.0, 30.0)
    bad = {"data": {"file": "x.pkl", "extra": [{"file": "a.pkl", "view_pitch": [40, 10]}]}}
    with pytest.raises(ConfigError, match=r"view_pitch' is \[40.0, 10.0\]: write \[low, high\]"):
        config_from_dict(bad, "t")


def test_training_draws_see_a_view_sample_from_new_cameras(tmp_path: Path) -> None:
    p2, p3 = _twin_files(tmp_path)
    spec = ModelSpec(layout="coco", num_classes=2, clip_len=16, num_person=1)
    always = extra_samples(ExtraDataConfig(file=str(p2), file3d=str(p3), views=1.0, noise=False),
                           ["walking", "unknown"], "unknown", "x")
    never = extra_samples(ExtraDataConfig(file=str(p2), noise=False), ["walking", "unknown"], "unknown", "x")
    viewed = SkeletonClipDataset(always, spec, train=True, seed=0)
    recorded = SkeletonClipDataset(never, spec, train=True, seed=0)
    a = [viewed[0][0].numpy() for _ in range(1)]
    viewed.set_epoch(1)
    b = viewed[0][0].numpy()
    assert not np.allclose(a[0], b)  # another epoch, another camera
    assert not np.allclose(a[0], recorded[0][0].numpy())
    viewed.set_epoch(0)
    np.testing.assert_array_equal(viewed[0][0].numpy(), a[0])  # reproducible per (seed, epoch, index)


def test_eval_sees_3d_sets_from_a_fixed_viewpoint() -> None:
    data = LabelledSet("utd", [{"frame_dir": "a", "keypoint": standing(10), "label": 0}],
                       np.array([0]), ["walk"], 30.0)
    front = seen_from(data, 0.0)
    side = seen_from(data, 60.0, 10.0)
    assert side.name == "utd@yaw60_pitch10" and front.name == "utd@yaw0"
    s = front.samples[0]
    assert s["keypoint"].shape == (1, 10, 17, 2) and s["img_shape"] == (1080, 1920)
    assert abs(s["keypoint"][0, 0, 5, 0] - s["keypoint"][0, 0, 6, 0]) > abs(
        side.samples[0]["keypoint"][0, 0, 5, 0] - side.samples[0]["keypoint"][0, 0, 6, 0])
    walk = standing(40)
    walk[0, :, :, 2] += np.linspace(4.0, -4.0, 40)[:, None]  # 8 m straight at the camera
    seen = seen_from(LabelledSet("w", [{"keypoint": walk}], np.array([0]), ["walk"], 30.0), 0.0).samples[0]
    assert (seen["keypoint_score"] > 0).all()
    assert (seen["keypoint"] >= 0).all() and (seen["keypoint"] <= np.array([1920, 1080])).all()
    flat = LabelledSet("x", [{"keypoint": np.zeros((1, 10, 17, 2))}], np.array([0]), ["a"], 30.0)
    with pytest.raises(ValueError, match="ntu3d"):
        seen_from(flat, 30.0)


def test_mirror_pairs_come_from_the_layout_names() -> None:
    from action_recognition.skeleton import get_layout

    pairs = mirror_pairs(get_layout("coco").joint_names)
    assert sorted(pairs) == [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)]
    assert mirror_pairs(["head", "neck"]) == []


def test_mirror_swaps_sides_and_keeps_missing_joints_missing() -> None:
    uv, score = view_coco(standing(4), 0.0, 0.0, 3.0, 640, 480, 525.0)
    uv[0, 2, 9] = 0.0
    score[0, 2, 9] = 0.0
    score[0, :, 10] = 0.5  # tell the right wrist's scores apart
    sample = {"keypoint": uv, "keypoint_score": score, "img_shape": (480, 640)}
    out = mirror(sample, mirror_pairs(COCO_NAMES))
    # the person's left shoulder, on the image's right before, is now the right shoulder's mirror image
    np.testing.assert_allclose(out["keypoint"][0, 0, 6, 0], 640 - uv[0, 0, 5, 0])
    np.testing.assert_allclose(out["keypoint"][0, 0, 0], [640 - uv[0, 0, 0, 0], uv[0, 0, 0, 1]])
    assert (out["keypoint"][0, 2, 10] == 0).all() and out["keypoint_score"][0, 2, 10] == 0
    assert (out["keypoint_score"][0, :, 9] == 0.5).all()
    np.testing.assert_allclose(mirror(out, mirror_pairs(COCO_NAMES))["keypoint"], uv, atol=1e-4)
    assert sample["keypoint"] is uv  # the input is not changed


def test_extra_flip_setting_reaches_training_draws(tmp_path: Path) -> None:
    p2, _ = _twin_files(tmp_path)
    spec = ModelSpec(layout="coco", num_classes=2, clip_len=16, num_person=1)
    classes = ["walking", "unknown"]
    flipped = SkeletonClipDataset(
        extra_samples(ExtraDataConfig(file=str(p2), flip=1.0, noise=False), classes, "unknown", "x"),
        spec, train=True, seed=0)
    plain = SkeletonClipDataset(
        extra_samples(ExtraDataConfig(file=str(p2), noise=False), classes, "unknown", "x"), spec,
        train=True, seed=0)
    a, b = flipped[0][0].numpy(), plain[0][0].numpy()
    assert a.shape == b.shape and not np.allclose(a, b)
    with pytest.raises(ConfigError, match=r"data.extra\[0\].flip"):
        config_from_dict({"data": {"file": "x.pkl", "extra": [{"file": "a.pkl", "flip": 2}]}}, "t.yaml")
