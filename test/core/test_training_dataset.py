"""The training dataset: PYSKL shapes, per-(epoch, index) augmentation seeds, repeat, test clips."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from training_testdata import make_tiny_dataset

from action_recognition.features import sample_to_clips
from action_recognition.training.config import ConfigError, DataConfig
from action_recognition.training.data_setup import prepare_data
from action_recognition.training.dataset import SkeletonClipDataset


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    path = make_tiny_dataset(tmp_path_factory.mktemp("ds") / "tiny.pkl")
    return prepare_data(DataConfig(file=str(path), clip_len=20, num_person=2, feats=["j", "b"]))


def test_spec_comes_from_the_data(prepared) -> None:
    spec = prepared.spec
    assert spec.layout == "coco" and spec.normalization == "2d"
    assert spec.class_names == ["walking", "jump up", "standing still"] and spec.num_classes == 3
    assert spec.in_channels == 6 and spec.feats == ("j", "b") and spec.clip_len == 20
    assert (len(prepared.train), len(prepared.val), len(prepared.test)) == (24, 12, 12)


def test_train_items_are_seeded_by_epoch_and_index(prepared) -> None:
    ds = SkeletonClipDataset(prepared.train, prepared.spec, train=True, seed=1, repeat=3)
    assert len(ds) == 72
    x, label = ds[5]
    assert x.shape == (2, 20, 17, 6) and x.dtype == torch.float32
    assert label == prepared.train[5]["label"]
    assert torch.equal(ds[5][0], x)  # same (epoch, index): same frames
    ds.set_epoch(1)
    assert not torch.equal(ds[5][0], x)  # a new epoch draws new frames
    # a repeated copy of the same sample (index + 24) gets its own frames, the same label
    ds.set_epoch(0)
    assert ds[5 + 24][1] == label and not torch.equal(ds[5 + 24][0], x)


def test_test_items_are_pyskls_fixed_multi_clips(prepared) -> None:
    ds = SkeletonClipDataset(prepared.test, prepared.spec, train=False, num_clips=4)
    x, _ = ds[0]
    assert x.shape == (4, 2, 20, 17, 6)
    expected = sample_to_clips(prepared.test[0], dataclasses.replace(prepared.spec, num_clips=4),
                               test_mode=True)
    np.testing.assert_array_equal(x.numpy(), expected)
    assert torch.equal(ds[0][0], x)


def test_missing_split_and_layout_errors(tmp_path, prepared) -> None:
    path = make_tiny_dataset(tmp_path / "t.pkl", {"train": 6})
    with pytest.raises(ConfigError, match=r"'data\.val_split': no split 'val'.*set data\.val_split"):
        prepare_data(DataConfig(file=str(path)))
    with pytest.raises(ConfigError, match="does not fit the data's 17 joints"):
        prepare_data(DataConfig(file=str(path), val_split=None, test_split=None, layout="nturgb+d"))
    with pytest.raises(ConfigError, match="no such data file"):
        prepare_data(DataConfig(file=str(tmp_path / "none.pkl")))


def test_synth_section_generates_the_missing_file(tmp_path) -> None:
    from action_recognition.training.config import SynthDataConfig

    path = tmp_path / "gen" / "synth.pkl"
    synth = SynthDataConfig(classes=["walking", "falling"], sizes={"train": 4, "val": 2, "test": 2})
    cfg = DataConfig(file=str(path), synth=synth)
    data = prepare_data(cfg)
    assert path.exists() and data.classes == ["walking", "falling"] and len(data.train) == 4
    mtime = path.stat().st_mtime_ns
    prepare_data(cfg)  # an existing file is used as it is
    assert path.stat().st_mtime_ns == mtime


def test_items_do_not_depend_on_the_worker_count(prepared) -> None:
    from torch.utils.data import DataLoader

    ds = SkeletonClipDataset(prepared.train, prepared.spec, train=True, seed=4)
    ds.set_epoch(2)
    batches = []
    for workers in (0, 2):
        loader = DataLoader(ds, batch_size=6, shuffle=False, num_workers=workers)
        batches.append(torch.cat([x for x, _ in loader]))
    assert torch.equal(batches[0], batches[1])


def test_p_interval_trains_on_random_sub_windows(prepared) -> None:
    from action_recognition.training.dataset import random_sub_window

    sample = prepared.train[0]
    total = sample["keypoint"].shape[1]
    lengths = set()
    for seed in range(30):
        crop = random_sub_window(sample, (0.5, 1.0), np.random.RandomState(seed))
        n = crop["total_frames"]
        assert int(0.5 * total) <= n <= total and crop["keypoint"].shape[1] == n
        assert crop["keypoint_score"].shape[1] == n
        lengths.add(n)
        # a run of consecutive source frames
        start = next(i for i in range(total - n + 1)
                     if np.array_equal(sample["keypoint"][:, i:i + n], crop["keypoint"]))
        assert start >= 0
    assert len(lengths) > 5
    plain = SkeletonClipDataset(prepared.train, prepared.spec, train=True, seed=1)
    cropped = SkeletonClipDataset(prepared.train, prepared.spec, train=True, seed=1, p_interval=(0.3, 0.6))
    assert plain[0][0].shape == cropped[0][0].shape
    assert not torch.equal(plain[0][0], cropped[0][0])
