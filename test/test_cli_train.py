"""The CLI end to end: train from a YAML file + overrides, then eval and export what it wrote."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent / "core"))
from training_testdata import TINY_ARCH, make_tiny_dataset

from action_recognition.cli.main import main
from action_recognition.model.export import read_onnx_spec


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
