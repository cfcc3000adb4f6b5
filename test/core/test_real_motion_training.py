"""Training on real skeletons: mixing by class name, the internal `unknown` class, estimator noise,
head growth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from action_recognition.data.format import load_dataset, save_dataset
from action_recognition.model import ModelSpec, build_model, save_checkpoint
from action_recognition.training.augment import NOISE_KEY, estimator_noise
from action_recognition.training.checkpoints import load_pretrained
from action_recognition.training.config import ConfigError, ExtraDataConfig, load_config
from action_recognition.training.data_setup import extra_samples, prepare_data
from action_recognition.training.dataset import SkeletonClipDataset

torch.set_num_threads(1)


def clean_sample(name: str, label: int, frames: int = 40, subject: int = 1) -> dict:
    """A clean, fully confident 2D skeleton as Kinect/mocap projections look (moving up and down)."""
    t = np.arange(frames, dtype=np.float32)
    base = np.stack([np.linspace(300, 340, 17), np.linspace(100, 400, 17)], -1).astype(np.float32)
    kp = base[None] + np.stack([np.zeros_like(t), 20 * np.sin(t / 5)], -1)[:, None]
    return {"frame_dir": name, "label": label, "total_frames": frames,
            "keypoint": kp[None].astype(np.float32),
            "keypoint_score": np.full((1, frames, 17), 0.95, np.float32), "img_shape": (480, 640),
            "subject": subject}


def write_real_file(path: Path) -> Path:
    classes = ["sitting down", "walking", "front boxing", "bow"]
    anns = [clean_sample(f"s{i}", lab, subject=1 + i % 2) for i, lab in enumerate([0, 1, 2, 3, 0, 2])]
    return save_dataset({"split": {"dev": [a["frame_dir"] for a in anns]}, "annotations": anns,
                         "classes": classes}, path)


def test_extra_samples_match_classes_by_name_and_send_the_rest_to_unknown(tmp_path: Path) -> None:
    real = write_real_file(tmp_path / "real.pkl")
    classes = ["walking", "sitting down", "jump up", "unknown"]
    out = extra_samples(ExtraDataConfig(file=str(real), repeat=3, other_repeat=1), classes, "unknown", "x")
    by_name: dict[str, list[int]] = {}
    for s in out:
        by_name.setdefault(s["frame_dir"], []).append(s["label"])
    assert by_name["s0"] == [1, 1, 1] and by_name["s1"] == [0, 0, 0]  # in set: by name, repeated 3x
    assert by_name["s2"] == [3] and by_name["s3"] == [3]  # boxing, bow: the internal unknown class, once
    assert all(s[NOISE_KEY] for s in out)


def test_extra_samples_without_other_class_drop_out_of_set_and_filter_subjects(tmp_path: Path) -> None:
    real = write_real_file(tmp_path / "real.pkl")
    classes = ["walking", "sitting down"]
    out = extra_samples(ExtraDataConfig(file=str(real), subjects=[1], noise=False), classes, None, "x")
    assert sorted(s["frame_dir"] for s in out) == ["s0", "s4"]  # subject 1, in set only
    assert not any(s[NOISE_KEY] for s in out)
    with pytest.raises(ConfigError, match="adds no sample"):
        extra_samples(ExtraDataConfig(file=str(real)), ["jump up"], None, "data.extra[0]")


def test_prepare_data_appends_the_other_class_and_mixes_the_extra_file(tmp_path: Path) -> None:
    from training_testdata import make_tiny_dataset

    synth = make_tiny_dataset(tmp_path / "s.pkl", classes=("walking", "sitting down"),
                              sizes={"train": 10, "val": 2, "test": 2})
    real = write_real_file(tmp_path / "real.pkl")
    cfg = load_config(None, [f"data.file={synth}", "data.other_class=unknown", "data.train_fraction=0.5",
                             f"data.extra=[{{file: {real}, repeat: 2, other_repeat: 1}}]"])
    data = prepare_data(cfg.data)
    assert data.classes == ["walking", "sitting down", "unknown"] and data.spec.num_classes == 3
    synthetic = [s for s in data.train if not s.get(NOISE_KEY)]
    assert len(synthetic) == 5  # half of the 10 synthetic training samples
    assert sum(s["label"] == 2 for s in data.train) == 3  # two boxing samples and a bow, each once
    assert len(data.train) == 5 + 2 * 3 + 3


def test_other_classes_of_the_main_file_train_as_the_other_class(tmp_path: Path) -> None:
    from action_recognition.training.config import DataConfig, SynthDataConfig

    synth = SynthDataConfig(classes=["walking", "sitting down"], other_actions=["other gesture"],
                            sizes={"train": 9, "val": 3, "test": 3})
    path = tmp_path / "s.pkl"
    cfg = DataConfig(file=str(path), synth=synth, other_class="unknown", other_classes=["other gesture"])
    data = prepare_data(cfg)
    raw = {a["frame_dir"]: a["label"] for a in load_dataset(path)["annotations"]}
    assert data.classes == ["walking", "sitting down", "unknown"] and data.spec.num_classes == 3
    for split in (data.train, data.val, data.test):
        assert sorted(s["label"] for s in split) == sorted(raw[s["frame_dir"]] for s in split)  # 2 stays 2
        assert {s["label"] for s in split} == {0, 1, 2}
    # The out-of-set class need not be the file's last: the others keep their order, unknown goes last.
    cfg2 = DataConfig(file=str(path), other_class="unknown", other_classes=["walking"])
    data2 = prepare_data(cfg2)
    assert data2.classes == ["sitting down", "other gesture", "unknown"]
    assert all({0: 2, 1: 0, 2: 1}[raw[s["frame_dir"]]] == s["label"] for s in data2.train)
    with pytest.raises(ConfigError, match=r"'data\.other_classes': \['jogging'\] not among the classes"):
        prepare_data(DataConfig(file=str(path), other_class="unknown", other_classes=["jogging"]))
    bad = SynthDataConfig(classes=["walking"], other_actions=["moonwalk"], sizes={"train": 2})
    with pytest.raises(ConfigError, match=r"'data\.synth': unknown synthetic action\(s\) \['moonwalk'\]"):
        prepare_data(DataConfig(file=str(tmp_path / "new.pkl"), synth=bad))
    with pytest.raises(ConfigError, match=r"'data\.other_classes' needs data\.other_class"):
        load_config(None, ["data.file=x.pkl", "data.other_classes=[other gesture]"])


def test_config_rejects_bad_mixing_settings() -> None:
    with pytest.raises(ConfigError, match="train_fraction"):
        load_config(None, ["data.file=x.pkl", "data.train_fraction=0"])
    with pytest.raises(ConfigError, match=r"data.extra\[0\].file"):
        load_config(None, ["data.file=x.pkl", "data.extra=[{repeat: 2}]"])
    with pytest.raises(ConfigError, match=r"unknown field 'data\.extra"):
        load_config(None, ["data.file=x.pkl", "data.extra=[{file: a.pkl, repeats: 2}]"])


def test_estimator_noise_changes_a_clean_sample_like_a_pose_estimator() -> None:
    clean = clean_sample("a", 0, frames=200)
    before = clean["keypoint"].copy()
    noisy = estimator_noise(clean, np.random.default_rng(0))
    assert np.array_equal(clean["keypoint"], before)  # the input is left alone
    kp, sc = noisy["keypoint"], noisy["keypoint_score"]
    assert kp.shape == before.shape and sc.shape == (1, 200, 17)
    dropped = sc == 0
    assert 0.01 < dropped.mean() < 0.2 and np.all(kp[dropped] == 0)  # some joints/frames missing
    kept = sc[~dropped]
    assert kept.min() >= 0.0 and kept.max() <= 1.0 and kept.std() > 0.03  # scores vary, unlike Kinect's 0.95
    assert np.all(kp[..., 0] <= 639) and np.all(kp[..., 1] <= 479)  # inside the image
    jitter = np.abs(np.diff(kp, axis=1))[~(dropped[:, 1:] | dropped[:, :-1])]
    assert jitter.mean() > np.abs(np.diff(before, axis=1)).mean()  # frame-to-frame jitter added
    again = estimator_noise(clean, np.random.default_rng(0))
    assert np.array_equal(again["keypoint"], kp)  # same seed, same noise


def test_training_clips_of_real_samples_get_noise_on_every_draw() -> None:
    spec = ModelSpec(layout="coco", num_classes=2, clip_len=16, num_person=1)
    clean = clean_sample("a", 0)
    marked = {**clean, NOISE_KEY: True}
    ds = SkeletonClipDataset([clean, marked], spec, train=True, seed=1)
    plain_clip, noisy_clip = ds[0][0], ds[1][0]
    assert not torch.allclose(plain_clip, noisy_clip)
    ds.set_epoch(1)
    assert not torch.allclose(noisy_clip, ds[1][0])  # a new draw per epoch
    test_ds = SkeletonClipDataset([marked], spec, train=False, num_clips=1)
    assert torch.allclose(test_ds[0][0][0], SkeletonClipDataset([clean], spec, train=False)[0][0][0])


@pytest.mark.parametrize("share", [0.0, 0.3, 1.0])
def test_a_noise_share_leaves_the_other_draws_clean(share: float) -> None:
    spec = ModelSpec(layout="coco", num_classes=2, clip_len=16, num_person=1)
    ds = SkeletonClipDataset([{**clean_sample("a", 0), NOISE_KEY: share}], spec, train=True, seed=3)
    noisy = []
    for epoch in range(200):
        ds.set_epoch(epoch)
        scores = ds[0][0][0, :, :, 2]  # (clip_len, V): Kinect-like 0.95 everywhere unless noise came
        noisy.append(not torch.allclose(scores, torch.full_like(scores, 0.95)))
    rate = float(np.mean(noisy))
    assert abs(rate - share) < 0.1, (share, rate)


def test_config_takes_a_noise_share_and_rejects_one_outside_0_1() -> None:
    cfg = load_config(None, ["data.file=x.pkl", "data.extra=[{file: a.pkl, noise: 0.7}, {file: b.pkl}]"])
    assert cfg.data.extra[0].noise == 0.7 and cfg.data.extra[1].noise is True
    with pytest.raises(ConfigError, match=r"data.extra\[0\].noise.*\[0, 1\]"):
        load_config(None, ["data.file=x.pkl", "data.extra=[{file: a.pkl, noise: 1.5}]"])
    with pytest.raises(ConfigError, match=r"data.extra\[0\].noise' must be bool or float"):
        load_config(None, ["data.file=x.pkl", "data.extra=[{file: a.pkl, noise: often}]"])


def test_fine_tuning_to_an_appended_class_keeps_the_old_rows(tmp_path: Path) -> None:
    torch.manual_seed(0)
    old_spec = ModelSpec(layout="coco", num_classes=3, clip_len=16)
    old = build_model(old_spec)
    path = save_checkpoint(tmp_path / "old.pth", old, old_spec)
    new = build_model(ModelSpec(layout="coco", num_classes=4, clip_len=16))
    fresh_row = new.state_dict()["cls_head.fc_cls.weight"][3].clone()
    info = load_pretrained(new, path)
    assert info == {"head_reinitialised": False, "head_extended": True, "source_classes": 3}
    w_new, w_old = new.state_dict()["cls_head.fc_cls.weight"], old.state_dict()["cls_head.fc_cls.weight"]
    assert torch.equal(w_new[:3], w_old) and torch.equal(w_new[3], fresh_row)
    fewer = build_model(ModelSpec(layout="coco", num_classes=2, clip_len=16))
    assert load_pretrained(fewer, path)["head_reinitialised"] is True  # fewer classes: a fresh head
