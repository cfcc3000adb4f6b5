"""Training config: PYSKL's recipe as defaults, key=value overrides, errors that name the fix."""

from __future__ import annotations

import pytest

from action_recognition.training.config import ConfigError, load_config, parse_overrides
from action_recognition.training.trainer import cosine_factor


def test_defaults_are_pyskls_stgcnpp_recipe() -> None:
    cfg = load_config(None, ["data.file=x.pkl"])
    o = cfg.optim
    assert (o.lr, o.lr_batch, o.momentum, o.nesterov, o.weight_decay) == (0.1, 128, 0.9, True, 5e-4)
    assert (cfg.epochs, cfg.data.repeat, cfg.data.clip_len, cfg.data.num_person) == (16, 5, 100, 2)
    assert (cfg.batch_size, cfg.data.num_clips_test, cfg.data.feats) == (16, 10, ["j"])
    assert o.warmup_iters == 0 and o.min_lr == 0.0


def test_cosine_schedule_runs_from_one_to_zero() -> None:
    assert cosine_factor(0, 100) == pytest.approx(1.0)
    assert cosine_factor(50, 100) == pytest.approx(0.5)
    assert cosine_factor(100, 100) == pytest.approx(0.0, abs=1e-12)
    assert cosine_factor(25, 100) > cosine_factor(26, 100)
    assert cosine_factor(4, 100, warmup=10) == pytest.approx(0.5)


def test_yaml_file_plus_overrides(tmp_path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("data:\n  file: a.pkl\n  feats: [j]\noptim:\n  lr: 0.2\nepochs: 3\n")
    cfg = load_config(path, ["optim.lr=0.05", "data.feats=[b, bm]", "model.arch={base_channels: 32}",
                             "resume=auto", "optim.weight_decay=1e-4", "data.val_split=null"])
    assert cfg.data.file == "a.pkl" and cfg.epochs == 3
    assert cfg.optim.lr == 0.05 and cfg.optim.weight_decay == pytest.approx(1e-4)
    assert cfg.data.feats == ["b", "bm"] and cfg.model.arch == {"base_channels": 32}
    assert cfg.resume == "auto" and cfg.data.val_split is None


def test_synth_section_becomes_a_typed_config() -> None:
    cfg = load_config(None, ["data.file=x.pkl", "data.synth={layout: coco, sizes: {train: 10}}"])
    assert cfg.data.synth is not None and cfg.data.synth.sizes == {"train": 10}
    with pytest.raises(ConfigError, match=r"'data\.synth\.sizes\.train' must be an integer"):
        load_config(None, ["data.file=x.pkl", "data.synth={sizes: {train: many}}"])


@pytest.mark.parametrize(("overrides", "pattern"), [
    (["data.file=x", "optim.lrr=0.1"], r"unknown field 'optim\.lrr'; did you mean 'optim\.lr'\?"),
    (["data.file=x", "epochs=two"], r"'epochs' must be an integer, got 'two'"),
    (["data.file=x", "data.feats=[j, q]"], r"'data\.feats' has 'q': use streams from"),
    (["data.file=x", "batch_size=0"], r"'batch_size' is 0: it must be >= 1"),
    (["data.file=x", "device=tpu"], r"'device' is 'tpu': use auto, cpu, cuda or cuda:N"),
    (["data.file=x", "amp=maybe"], r"'amp' must be true or false"),
    (["data.file=x", "data.img_shape=[1080]"], r"write \[height, width\]"),
    (["data.file=x", "data.synth={train_cameras: most}"],
     r"'data\.synth\.train_cameras' is 'most': use disjoint .* or all"),
    (["data.file=x", "data.p_interval=[0.5, 1.5]"], r"p_interval' is \[0\.5, 1\.5\]: write \[low, high\]"),
    (["data.file=x", "distill={weight: 0.5}"],
     r"'distill\.teacher' is empty: name a checkpoint or an ensemble"),
    (["data.file=x", "distill.teacher=t.pth", "distill.weight=1.5"],
     r"'distill\.weight' is 1\.5: use the teacher"),
    (["data.file=x", "distill.teacher=t.pth", "distill.temperature=0"],
     r"'distill\.temperature' is 0\.0: it must be > 0"),
    (["data.file=x", "distill.teacher=t.pth", "distill.temprature=2"],
     r"unknown field 'distill\.temprature'; did you mean 'distill\.temperature'"),
    ([], r"'data\.file' is empty: set the PYSKL \.pkl data file"),
    (["epochs"], r"write it as key=value"),
])
def test_errors_name_field_and_fix(overrides, pattern) -> None:
    with pytest.raises(ConfigError, match=pattern):
        load_config(None, overrides)


def test_file_errors_name_the_file(tmp_path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("data:\n  file: a.pkl\noptim:\n  momentun: 0.9\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: unknown field 'optim\.momentun'; did you mean"):
        load_config(path)
    path.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: the top level must be a mapping"):
        load_config(path)
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "missing.yaml")


def test_override_values_use_yaml_syntax() -> None:
    assert parse_overrides(["a.b=1", "c=[1, 2]", "d=null", "e=text", "f="]) == [
        ("a.b", 1), ("c", [1, 2]), ("d", None), ("e", "text"), ("f", None)]


def test_shipped_configs_load() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "training" / "configs"
    files = sorted(root.glob("*.yaml"))
    assert files, f"no configs in {root}"
    for path in files:
        cfg = load_config(path)
        assert cfg.data.file
