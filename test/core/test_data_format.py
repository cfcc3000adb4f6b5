"""PYSKL pickle format: round trip, and validation that names the bad sample."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from action_recognition.data.format import (
    DatasetError,
    class_names,
    load_dataset,
    save_dataset,
    split_samples,
    validate_dataset,
)


def _sample(name: str, label: int = 0, m: int = 1, t: int = 12, v: int = 17) -> dict:
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    return {
        "frame_dir": name,
        "label": label,
        "img_shape": (480, 640),
        "original_shape": (480, 640),
        "total_frames": t,
        "keypoint": rng.uniform(0, 400, (m, t, v, 2)).astype(np.float32),
        "keypoint_score": rng.uniform(0, 1, (m, t, v)).astype(np.float32),
    }


@pytest.fixture
def data() -> dict:
    anns = [_sample("a", 0), _sample("b", 1, m=2), _sample("c", 2, t=7)]
    return {"split": {"train": ["a", "b"], "val": ["c"]}, "annotations": anns, "classes": ["x", "y", "z"]}


def test_round_trip_keeps_arrays_and_extra_keys(tmp_path, data):
    path = save_dataset(data, tmp_path / "d.pkl")
    back = load_dataset(path)
    assert back["classes"] == ["x", "y", "z"]
    assert back["split"] == data["split"]
    for a, b in zip(data["annotations"], back["annotations"], strict=True):
        assert a["frame_dir"] == b["frame_dir"]
        np.testing.assert_array_equal(a["keypoint"], b["keypoint"])
        assert b["keypoint"].dtype == np.float32
    assert [s["frame_dir"] for s in split_samples(back, "train")] == ["a", "b"]
    assert not (tmp_path / "d.pkl.tmp").exists()


def test_pyskl_3d_sample_without_scores_is_valid():
    # PYSKL's ntu60_3danno.pkl samples carry no keypoint_score and no image shape.
    s = {
        "frame_dir": "S001C001P001R001A001",
        "label": 0,
        "total_frames": 5,
        "keypoint": np.zeros((2, 5, 25, 3), np.float32),
    }
    validate_dataset({"split": {"xsub_train": ["S001C001P001R001A001"]}, "annotations": [s]})


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["annotations"][1].pop("keypoint"), "'b'.*missing key.*keypoint"),
        (lambda d: d["annotations"][1].pop("label"), "'b'.*missing key.*label"),
        (lambda d: d["annotations"][1].update(label=3), "'b'.*label 3 out of range"),
        (lambda d: d["annotations"][1].update(label=-1), "'b'.*label -1 out of range"),
        (
            lambda d: d["annotations"][1].update(keypoint=np.zeros((12, 17, 2), np.float32)),
            "'b'.*keypoint must be",
        ),
        (
            lambda d: d["annotations"][1].update(keypoint=np.zeros((2, 12, 17, 4), np.float32)),
            "'b'.*C must be 2 or 3",
        ),
        (
            lambda d: d["annotations"][1].update(keypoint_score=np.zeros((2, 12, 16))),
            "'b'.*keypoint_score shape",
        ),
        (lambda d: d["annotations"][1].update(total_frames=13), "'b'.*total_frames 13"),
        (lambda d: d["annotations"][1].pop("keypoint_score"), "'b'.*without keypoint_score"),
        (lambda d: d["annotations"][1]["keypoint"].__setitem__((0, 0, 0, 0), np.nan), "'b'.*NaN"),
        (lambda d: d["annotations"][1].update(keypoint=np.zeros((2, 12, 17, 2), np.int32)), "'b'.*floating"),
        (lambda d: d["annotations"][2].update(frame_dir="a"), "'a'.*duplicate"),
        (
            lambda d: d["annotations"][2].update(
                keypoint=np.zeros((1, 7, 25, 2), np.float32), keypoint_score=np.zeros((1, 7, 25), np.float32)
            ),
            "disagree",
        ),
        (lambda d: d["split"]["val"].append("zz"), "split 'val'.*unknown.*'zz'"),
        (lambda d: d.pop("split"), "missing top-level key 'split'"),
        (lambda d: d.pop("annotations"), "missing top-level key 'annotations'"),
    ],
)
def test_validation_names_the_problem(data, mutate, message):
    bad = copy.deepcopy(data)
    mutate(bad)
    with pytest.raises(DatasetError, match=message):
        validate_dataset(bad)


def test_load_reports_file_and_sample(tmp_path, data):
    data["annotations"][2]["label"] = 7
    path = tmp_path / "bad.pkl"
    path.write_bytes(pickle.dumps(data))
    with pytest.raises(DatasetError, match=r"bad\.pkl: sample #2 \('c'\): label 7"):
        load_dataset(path)
    assert load_dataset(path, validate=False)["annotations"][2]["label"] == 7
    (tmp_path / "junk.pkl").write_bytes(b"not a pickle")
    with pytest.raises(DatasetError, match="not a readable pickle"):
        load_dataset(tmp_path / "junk.pkl")


def test_save_refuses_invalid(tmp_path, data):
    data["annotations"][0]["keypoint"] = data["annotations"][0]["keypoint"][:, :5]
    with pytest.raises(DatasetError):
        save_dataset(data, tmp_path / "x.pkl")
    assert not (tmp_path / "x.pkl").exists()


def test_class_names_fall_back_to_placeholders(data):
    assert class_names(data) == ["x", "y", "z"]
    del data["classes"]
    assert class_names(data) == ["class_0", "class_1", "class_2"]
    with pytest.raises(DatasetError, match="no split 'test'"):
        split_samples(data, "test")
