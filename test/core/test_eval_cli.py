"""`action-recognition eval` and `fuse` on cases whose answers are known in advance."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from training_testdata import TINY_CLASSES, make_tiny_dataset

from action_recognition.cli.main import main
from action_recognition.data.format import load_dataset
from action_recognition.model import ModelSpec, build_model, save_checkpoint
from action_recognition.training.run_dir import save_scores


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    return make_tiny_dataset(tmp_path_factory.mktemp("eval") / "tiny.pkl", {"test": 12})


def constant_checkpoint(path, predicted: int, num_classes: int = 3):
    """A model that always predicts `predicted`: zero classifier weights, a bias that picks the class."""
    spec = ModelSpec(layout="coco", num_classes=num_classes, class_names=list(TINY_CLASSES[:num_classes]),
                     clip_len=16, num_person=1,
                     arch={"base_channels": 16, "num_stages": 4, "inflate_stages": [3], "down_stages": [3]})
    model = build_model(spec)
    with torch.no_grad():
        model.cls_head.fc_cls.weight.zero_()
        bias = torch.nn.functional.one_hot(torch.tensor(predicted), num_classes) * 5.0
        model.cls_head.fc_cls.bias.copy_(bias)
    return save_checkpoint(path, model, spec)


def test_eval_reports_the_known_metrics(tmp_path, data_file, capsys) -> None:
    labels = np.array([a["label"] for a in load_dataset(data_file)["annotations"]])
    ckpt = constant_checkpoint(tmp_path / "const.pth", predicted=1)
    out = tmp_path / "eval"
    rc = main(["eval", "--checkpoint", str(ckpt), "--data", str(data_file), "--split", "test",
               "--num-clips", "2", "--device", "cpu", "--out", str(out),
               "--subset", "jump up,standing still"])
    assert rc == 0
    metrics = json.loads((out / "metrics.json").read_text())
    # within {jump up, standing still} the constant "jump up" answer is right on the jump-up samples only
    pair = metrics["subsets"]["jump up,standing still"]
    assert pair["num_samples"] == int(np.isin(labels, [1, 2]).sum())
    assert pair["top1_within"] == pytest.approx(np.mean(labels[np.isin(labels, [1, 2])] == 1))
    # every sample is called class 1: top-1 = share of class 1, mean class acc = 1/3, top-5 = 1
    assert metrics["top1"] == pytest.approx(np.mean(labels == 1))
    assert metrics["mean_class_acc"] == pytest.approx(1 / 3)
    assert metrics["top5"] == pytest.approx(1.0)
    counts = np.bincount(labels, minlength=3)
    assert metrics["confusion_matrix"] == [[0, int(c), 0] for c in counts]
    assert (out / "confusion_matrix.png").stat().st_size > 1000
    with np.load(out / "scores.npz") as f:
        assert f["scores"].shape == (len(labels), 3)
        np.testing.assert_allclose(f["scores"].sum(1), 1.0, rtol=1e-6)  # averaged probabilities
        assert (f["scores"].argmax(1) == 1).all()
    assert '"top1"' in capsys.readouterr().out


def test_eval_rejects_data_with_more_classes_than_the_model(tmp_path, data_file, capsys) -> None:
    ckpt = constant_checkpoint(tmp_path / "two.pth", predicted=0, num_classes=2)
    rc = main(["eval", "--checkpoint", str(ckpt), "--data", str(data_file), "--device", "cpu"])
    assert rc == 2
    assert "classes" in capsys.readouterr().err


def test_fuse_weights_streams_as_asked(tmp_path, capsys) -> None:
    labels = np.array([0, 1, 1, 0])
    # stream j is right on samples 0, 1; stream b is right on 2, 3; b is more confident on 0 and 1.
    j = np.array([[0.6, 0.4], [0.4, 0.6], [0.6, 0.4], [0.4, 0.6]])
    b = np.array([[0.1, 0.9], [0.9, 0.1], [0.3, 0.7], [0.7, 0.3]])
    classes = ["a", "b"]
    fj = save_scores(tmp_path / "j.npz", j, labels, classes, ["s0", "s1", "s2", "s3"], stream="j")
    fb = save_scores(tmp_path / "b.npz", b, labels, classes, ["s0", "s1", "s2", "s3"], stream="b")
    assert main(["fuse", str(fj), str(fb), "--weights", "1,0"]) == 0
    assert json.loads(capsys.readouterr().out.split("\n[")[0])["top1"] == pytest.approx(0.5)
    # equal weights: b decides samples 0-3 -> 2 right; weighting j heavily (5:1) -> j's answers
    assert main(["fuse", str(fj), str(fb), "--weights", "5,1", "--out", str(tmp_path / "f.npz")]) == 0
    report = json.loads(capsys.readouterr().out.split("\n[")[0])
    assert report["top1"] == pytest.approx(0.5)
    assert report["per_stream_top1"] == [pytest.approx(0.5), pytest.approx(0.5)]
    with np.load(tmp_path / "f.npz") as f:
        np.testing.assert_allclose(f["scores"], 5 * j + b)
    # j and b named: PYSKL's 2:2 weights = equal -> the mean decides
    assert main(["fuse", str(fj), str(fb)]) == 0
    report = json.loads(capsys.readouterr().out.split("\n[")[0])
    assert report["weights"] == [2.0, 2.0]
    expected = float(((2 * j + 2 * b).argmax(1) == labels).mean())
    assert report["top1"] == pytest.approx(expected)


def test_fuse_refuses_mismatched_samples(tmp_path, capsys) -> None:
    a = save_scores(tmp_path / "a.npz", np.eye(2), np.array([0, 1]), ["x", "y"], ["s0", "s1"], "j")
    b = save_scores(tmp_path / "b.npz", np.eye(2), np.array([1, 0]), ["x", "y"], ["s1", "s0"], "b")
    assert main(["fuse", str(a), str(b)]) == 2
    assert "same samples" in capsys.readouterr().err
