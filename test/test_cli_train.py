"""The CLI end to end: train from a YAML file + overrides, then eval and export what it wrote."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "core"))
from training_testdata import TINY_ARCH, make_tiny_dataset

from action_recognition.cli.main import main
from action_recognition.model.export import read_onnx_spec
from action_recognition.recognition import load_action_model

REPO = Path(__file__).resolve().parents[1]


def test_train_eval_export(tmp_path, capsys) -> None:
    data = make_tiny_dataset(tmp_path / "tiny.pkl")
    config = tmp_path / "tiny.yaml"
    config.write_text(f"data:\n  file: {data}\n  clip_len: 16\n  num_person: 1\n  repeat: 1\n"
                      f"  num_clips_test: 2\nmodel:\n  arch: {TINY_ARCH}\nepochs: 5\nbatch_size: 8\n"
                      "workers: 0\nthreads: 1\ntensorboard: false\nprogress: false\n")
    run = tmp_path / "run"
    assert main(["train", "--config", str(config), f"work_dir={run}", "epochs=2", "optim.lr=0.05"]) == 0
    out = capsys.readouterr().out
    summary = json.loads(out[out.index("{\n"):])
    assert summary["work_dir"] == str(run) and 0.0 <= summary["test"]["top1"] <= 1.0
    assert len((run / "log.jsonl").read_text().splitlines()) == 2  # the override beat the file's epochs: 5

    assert main(["eval", "--checkpoint", str(run / "best.pth"), "--data", str(data), "--num-clips", "2",
                 "--device", "cpu", "--out", str(tmp_path / "eval")]) == 0
    evaluated = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    trained = json.loads((run / "test_metrics.json").read_text())
    assert evaluated["top1"] == trained["top1"]  # same weights, data and clips -> same answer
    assert np.array_equal(evaluated["confusion_matrix"], trained["confusion_matrix"])

    onnx_path = tmp_path / "model.onnx"
    capsys.readouterr()
    assert main(["export", "--checkpoint", str(run / "best.pth"), "--out", str(onnx_path)]) == 0
    assert "parity with PyTorch" in capsys.readouterr().out
    spec = read_onnx_spec(onnx_path)
    assert spec is not None and spec.clip_len == 16 and spec.class_names[0] == "walking"


def test_train_reports_config_errors(tmp_path, capsys) -> None:
    assert main(["train", f"data.file={tmp_path / 'none.pkl'}", "optim.momentun=0.9"]) == 2
    assert "did you mean 'optim.momentum'" in capsys.readouterr().err
    assert main(["train", f"data.file={tmp_path / 'none.pkl'}", f"work_dir={tmp_path / 'r'}"]) == 2
    assert "no such data file" in capsys.readouterr().err


def test_print_config_applies_overrides(capsys) -> None:
    assert main(["train", "data.file=x.pkl", "epochs=3", "--print-config"]) == 0
    text = capsys.readouterr().out
    assert "epochs: 3" in text and "lr: 0.1" in text


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> tuple[Path, Path, list[Path]]:
    """`train --seeds 3,4` on the tiny set: (data file, work_dir as given, the two runs)."""
    tmp = tmp_path_factory.mktemp("seeds")
    data = make_tiny_dataset(tmp / "tiny.pkl")
    run = tmp / "run"
    common = ["train", f"data.file={data}", "data.clip_len=16", "data.num_person=1",
              f"model.arch={TINY_ARCH}", "epochs=1", "batch_size=8", "workers=0", "threads=1",
              "tensorboard=false", "progress=false", f"work_dir={run}"]
    assert main([*common, "--seeds", "3,4"]) == 0
    return data, run, [tmp / "run_s3", tmp / "run_s4"]


def test_seeds_print_their_configs_and_must_differ(seeded, capsys) -> None:
    data, run, _ = seeded
    common = ["train", f"data.file={data}", f"work_dir={run}"]
    assert main([*common, "--seeds", "3,4", "--print-config"]) == 0
    printed = capsys.readouterr().out.split("---\n")
    assert [("seed: 3" in p, "seed: 4" in p, f"work_dir: {run}_s3" in p) for p in printed] == [
        (True, False, True), (False, True, False)]
    assert main([*common, "--seeds", "3,3"]) == 2 and "distinct" in capsys.readouterr().err
    assert main([*common, "--seeds", "-1"]) == 2


def test_seeds_train_ensemble_members_that_eval_averages(seeded, tmp_path) -> None:
    """--seeds: one run per seed into <work_dir>_s<seed>; an ensemble.yaml of their checkpoints
    evaluates to the mean of the members' probabilities (model/ensemble.py)."""
    data, run, runs = seeded
    members = [r / "best.pth" for r in runs]
    assert all(m.is_file() for m in members) and not run.exists()
    (tmp_path / "ensemble.yaml").write_text(f"members: [{members[0]}, {members[1]}]\n")
    scores = []
    for name, path in (("a", members[0]), ("b", members[1]), ("ens", tmp_path / "ensemble.yaml")):
        assert main(["eval", "--checkpoint", str(path), "--data", str(data), "--num-clips", "1",
                     "--device", "cpu", "--out", str(tmp_path / name)]) == 0
        scores.append(np.load(tmp_path / name / "scores.npz")["scores"])
    assert np.abs(scores[0] - scores[1]).max() > 1e-3  # the seeds gave different models
    np.testing.assert_allclose(scores[2], (scores[0] + scores[1]) / 2, atol=1e-5)


def test_train_refuses_a_teacher_with_other_classes(seeded, tmp_path, capsys) -> None:
    from random_model import save_random_model

    data, _, _ = seeded
    teacher = save_random_model(tmp_path / "t", ("waving", "kicking", "clapping"), clip_len=16)
    run = tmp_path / "student"
    assert main(["train", f"data.file={data}", "data.clip_len=16", "data.num_person=1",
                 f"model.arch={TINY_ARCH}", "epochs=1", "workers=0", "threads=1",
                 "tensorboard=false", "progress=false", f"work_dir={run}", f"distill.teacher={teacher}"]) == 2
    err = capsys.readouterr().err
    assert f"error: distill.teacher: {teacher} differs from the student in its spec field 'class_names'" \
        in err
    assert not (run / "best.pth").exists()


def _package(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "training" / "package_model.py"), *args],
                          capture_output=True, text=True, cwd=REPO, timeout=300)


def test_package_model_ships_the_seeds_as_an_ensemble(seeded, tmp_path) -> None:
    _, _, runs = seeded
    out = tmp_path / "model"
    done = _package("--run", str(runs[0]), "--run", str(runs[1]), "--out", str(out), "--unknown-margin", "0")
    assert done.returncode == 0, done.stderr
    assert (out / "ensemble.yaml").is_file() and (out / "model_seed4.pth").is_file()
    loaded = load_action_model(out / "ensemble.yaml", threads=1)
    assert loaded.name == "model" and len(loaded.backend.members) == 2
    metrics = json.loads((out / "metrics.json").read_text())
    assert [m["file"] for m in metrics["members"]] == ["model.pth", "model_seed4.pth"]
    assert [m["seed"] for m in metrics["members"]] == [3, 4]
    report = (out / "report.md").read_text()
    assert "--seeds 3,4" in report and "`model_seed4.pth` | 4 |" in report
    again = _package("--run", str(runs[1]), "--out", str(out))  # one run: no stale members remain
    assert again.returncode == 0, again.stderr
    assert not (out / "ensemble.yaml").exists() and not (out / "model_seed4.pth").exists()
    assert "--seeds" not in (out / "report.md").read_text()
    older = tmp_path / "older"  # written before a config field existed: compares as its default
    shutil.copytree(runs[1], older)
    lines = (runs[1] / "config.yaml").read_text().splitlines()
    assert "val_every: 1" in lines
    (older / "config.yaml").write_text("\n".join(x for x in lines if x != "val_every: 1") + "\n")
    assert _package("--run", str(runs[0]), "--run", str(older), "--out", str(tmp_path / "o")).returncode == 0
    twice = _package("--run", str(runs[0]), "--run", str(runs[0]), "--out", str(tmp_path / "x"))
    assert twice.returncode == 2 and "share a seed" in twice.stderr
    other = tmp_path / "other"
    shutil.copytree(runs[1], other)
    config = (runs[1] / "config.yaml").read_text()
    (other / "config.yaml").write_text(config.replace("epochs: 1", "epochs: 2"))
    mixed = _package("--run", str(runs[0]), "--run", str(other), "--out", str(tmp_path / "y"))
    assert mixed.returncode == 2 and "differs from" in mixed.stderr and "['epochs']" in mixed.stderr
