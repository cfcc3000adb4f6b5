"""Synthetic generator: determinism, balance, output format per layout, split domains."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from action_recognition.data.format import validate_dataset
from action_recognition.data.synth.actions import DEFAULT_CLASSES
from action_recognition.data.synth.camera import sample_camera
from action_recognition.data.synth.generator import SynthConfig, generate_dataset
from action_recognition.data.synth.ranges import TEST, TRAIN, sample_azimuth, split_domain


def _arrays(data: dict) -> list[np.ndarray]:
    return [a["keypoint"] for a in data["annotations"]] + [a["keypoint_score"] for a in data["annotations"]]


def test_same_seed_same_data_different_seed_different_data():
    cfg = SynthConfig()
    a = generate_dataset(cfg, {"train": 12, "test": 4}, seed=5)
    b = generate_dataset(cfg, {"train": 12, "test": 4}, seed=5)
    c = generate_dataset(cfg, {"train": 12, "test": 4}, seed=6)
    assert a["split"] == b["split"]
    for x, y in zip(_arrays(a), _arrays(b), strict=True):
        np.testing.assert_array_equal(x, y)
    assert any(
        x.shape != y.shape or not np.array_equal(x, y) for x, y in zip(_arrays(a), _arrays(c), strict=True)
    )


def test_result_does_not_depend_on_worker_count():
    cfg = SynthConfig(classes=("walking", "falling"))
    one = generate_dataset(cfg, {"train": 40}, seed=1, workers=1)
    two = generate_dataset(cfg, {"train": 40}, seed=1, workers=2)
    for x, y in zip(_arrays(one), _arrays(two), strict=True):
        np.testing.assert_array_equal(x, y)


def test_classes_balanced_in_every_split_and_names_stored():
    data = generate_dataset(SynthConfig(), {"train": 43, "val": 10, "test": 10}, seed=0)
    validate_dataset(data)
    assert data["classes"] == list(DEFAULT_CLASSES) and len(DEFAULT_CLASSES) >= 10
    by_name = {a["frame_dir"]: a["label"] for a in data["annotations"]}
    for split, members in data["split"].items():
        counts = Counter(by_name[m] for m in members)
        assert set(counts) <= set(range(10))
        assert max(counts.values()) - min(counts.values()) <= 1, (split, counts)
    assert len(by_name) == 63  # names unique across splits


def test_class_subset_relabels_from_zero():
    data = generate_dataset(
        SynthConfig(classes=("standing up (from sitting position)", "sitting down")), {"train": 6}, seed=0
    )
    assert data["classes"] == ["standing up (from sitting position)", "sitting down"]
    assert sorted({a["label"] for a in data["annotations"]}) == [0, 1]


@pytest.mark.parametrize(
    ("layout", "dims", "joints"),
    [("coco", 2, 17), ("nturgb+d", 2, 25), ("nturgb+d", 3, 25), ("openpose", 2, 18)],
)
def test_layout_output_format(layout, dims, joints):
    data = generate_dataset(SynthConfig(layout=layout, dims=dims), {"train": 10}, seed=2)
    validate_dataset(data)
    assert data["layout"] == layout
    for a in data["annotations"]:
        kp = a["keypoint"]
        assert kp.dtype == np.float32 and kp.shape[2:] == (joints, dims)
        assert 1 <= kp.shape[0] <= 2 and kp.shape[1] == a["total_frames"]
        assert 2.0 <= a["total_frames"] / a["fps"] <= 8.0 and 24 <= a["fps"] <= 30
        if dims == 2:
            s = a["keypoint_score"]
            assert s.dtype == np.float32 and s.min() >= 0 and s.max() <= 1
            h, w = a["img_shape"]
            seen = s[0] > 0
            assert seen.mean() > 0.5  # the main person is mostly detected
            assert (
                (kp[0][seen] >= -1).all()
                and (kp[0][seen, 0] <= w + 1).all()
                and (kp[0][seen, 1] <= h + 1).all()
            )
            assert (kp[0][~seen] == 0).all()  # dropped joints are zero with score 0
        else:
            assert "keypoint_score" not in a and "img_shape" not in a
            depth = kp[0, :, :, 2]
            assert np.median(depth[depth != 0]) > 0.5  # metres in front of the camera


def test_scores_look_like_a_pose_estimator():
    data = generate_dataset(SynthConfig(), {"train": 40}, seed=3)
    s = np.concatenate([a["keypoint_score"][0].reshape(-1, 17) for a in data["annotations"]])
    det = s[(s > 0).all(1)]
    med = np.median(det, 0)
    assert med[[5, 6, 11, 12]].min() > 0.8 and med.max() < 0.995  # torso joints confident, not perfect
    assert med[[3, 4]].mean() < med[[5, 6]].mean()  # ears below shoulders (one ear is usually turned away)
    assert 0.01 < (s == 0).mean() < 0.3  # some joints/frames missed, most not
    assert np.std(det) > 0.1  # scores vary


def test_test_domain_is_disjoint_from_training():
    def overlaps(r1, r2):
        return any(lo1 < hi2 and lo2 < hi1 for lo1, hi1 in r1 for lo2, hi2 in r2)

    for field in ("stature_m", "camera_height_m", "hfov_deg", "person_frac"):
        assert not overlaps(getattr(TRAIN, field), getattr(TEST, field)), field
    rng = np.random.default_rng(0)
    tr = {int(np.rad2deg(sample_azimuth(rng, TRAIN.azimuth_parity) + np.pi) // 15) for _ in range(300)}
    te = {int(np.rad2deg(sample_azimuth(rng, TEST.azimuth_parity) + np.pi) // 15) for _ in range(300)}
    assert tr.isdisjoint(te) and len(tr) == len(te) == 12


def _camera_heights(split: str, train_cameras: str, n: int = 400) -> np.ndarray:
    rng = np.random.default_rng(3)
    joints = np.zeros((10, 30, 3))
    joints[:, :, 1] = 0.9
    return np.array([
        sample_camera(rng, split_domain(split, train_cameras), joints, 1.7, 30.0).pos[0, 1] for _ in range(n)
    ])


def test_all_cameras_trains_on_test_cameras_but_keeps_bodies_and_azimuths_apart():
    def inside(x, ranges):
        return any(lo <= x <= hi for lo, hi in ranges)

    # Default: no training camera at test's heights (a Kinect at 1.1-1.6 m); "all": a fair share of them.
    disjoint = _camera_heights("train", "disjoint")
    widened = _camera_heights("train", "all")
    assert not any(inside(h, TEST.camera_height_m) for h in disjoint)
    assert 0.1 < np.mean([inside(h, TEST.camera_height_m) for h in widened]) < 0.4
    np.testing.assert_array_equal(_camera_heights("test", "all"), _camera_heights("test", "disjoint"))
    wide = split_domain("train", "all")
    for field in ("hfov_deg", "person_frac"):
        for lo, hi in getattr(TEST, field):
            assert any(a <= lo and hi <= b for a, b in getattr(wide, field)), field
    assert wide.stature_m == TRAIN.stature_m and wide.azimuth_parity == TRAIN.azimuth_parity
    assert split_domain("val", "all") == wide and split_domain("test", "all") == TEST


def test_all_cameras_changes_training_draws_only():
    sizes = {"train": 6, "test": 4}
    a = generate_dataset(SynthConfig(classes=("walking", "sitting down")), sizes, seed=2)
    b = generate_dataset(SynthConfig(classes=("walking", "sitting down"), train_cameras="all"), sizes, seed=2)
    kp_a = {x["frame_dir"]: x["keypoint"] for x in a["annotations"]}
    kp_b = {x["frame_dir"]: x["keypoint"] for x in b["annotations"]}
    for name in a["split"]["test"]:
        np.testing.assert_array_equal(kp_a[name], kp_b[name])
    assert not any(np.array_equal(kp_a[n], kp_b[n]) for n in a["split"]["train"])
    assert b["generator"]["train_cameras"] == "all" and a["generator"]["train_cameras"] == "disjoint"


def test_unknown_class_or_layout_rejected():
    with pytest.raises(ValueError, match="unknown synthetic action"):
        SynthConfig(classes=("walking", "moonwalk"))
    with pytest.raises(ValueError, match="dims"):
        SynthConfig(layout="coco", dims=3)
    with pytest.raises(ValueError, match="train_cameras 'some'"):
        SynthConfig(train_cameras="some")
    with pytest.raises(ValueError, match="train_cameras 'some'"):
        split_domain("train", "some")
