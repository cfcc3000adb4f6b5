"""Training runs of a few steps: the loss falls, resuming equals not stopping, the run folder is complete."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from training_testdata import make_tiny_dataset, tiny_config

from action_recognition.model import load_checkpoint
from action_recognition.training.checkpoints import read_training_state
from action_recognition.training.trainer import Trainer


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    return make_tiny_dataset(tmp_path_factory.mktemp("loop") / "tiny.pkl")


def batch_loss(trainer: Trainer) -> float:
    """Mean loss on the first 16 training samples' fixed (epoch 0) clips.

    BN uses batch statistics (train mode) as during the optimisation: after 30 steps the running
    statistics still lag, so an eval-mode loss measures BN warm-up rather than learning.
    """
    ds = trainer.train_set
    ds.set_epoch(0)
    x = torch.stack([ds[i][0] for i in range(16)])
    y = torch.tensor([ds[i][1] for i in range(16)])
    trainer.model.train()
    with torch.no_grad():
        return float(torch.nn.functional.cross_entropy(trainer.model(x), y))


def test_a_few_steps_lower_the_loss(tmp_path, data_file) -> None:
    trainer = Trainer(tiny_config(data_file, tmp_path / "run", "epochs=10", "data.test_split=null",
                                  "data.val_split=null"))
    before = batch_loss(trainer)
    trainer.fit()
    after = batch_loss(trainer)
    assert trainer.step == 30  # 24 samples, batch 8, drop_last: 3 steps x 10 epochs
    assert after < 0.8 * before, (before, after)
    history = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert history[-1]["train_loss"] < history[0]["train_loss"]


def test_resume_equals_uninterrupted(tmp_path, data_file) -> None:
    Trainer(tiny_config(data_file, tmp_path / "full", "epochs=3")).fit()
    # Same run stopped after the first epoch (3 steps), then resumed from latest.pth.
    first = Trainer(tiny_config(data_file, tmp_path / "split", "epochs=3", "max_steps=3")).fit()
    assert first["steps"] == 3
    _, state, _ = read_training_state(tmp_path / "split" / "latest.pth")
    assert state["epoch"] == 1
    resumed = Trainer(tiny_config(data_file, tmp_path / "split", "epochs=3", "resume=auto"))
    assert resumed.start_epoch == 1 and resumed.step == 3
    resumed.fit()
    full = torch.load(tmp_path / "full" / "latest.pth", weights_only=True)
    split = torch.load(tmp_path / "split" / "latest.pth", weights_only=True)
    assert full["state_dict"].keys() == split["state_dict"].keys()
    for key, value in full["state_dict"].items():
        assert torch.equal(value, split["state_dict"][key]), key
    log_full = [json.loads(x) for x in (tmp_path / "full" / "log.jsonl").read_text().splitlines()]
    log_split = [json.loads(x) for x in (tmp_path / "split" / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log_split] == [1, 2, 3]
    for a, b in zip(log_full, log_split, strict=True):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-6)
        assert a["val_top1"] == b["val_top1"]
    assert full["training_state"]["scheduler"] == split["training_state"]["scheduler"]


def test_run_folder_holds_everything(tmp_path, data_file) -> None:
    run = tmp_path / "run"
    result = Trainer(tiny_config(data_file, run, "epochs=3", "keep_checkpoints=2", "tensorboard=true")).fit()
    names = {p.name for p in run.iterdir()}
    expected = {"config.yaml", "label_map.txt", "log.jsonl", "log.csv", "curves.png", "confusion_matrix.png",
                "test_metrics.json", "test_scores.npz", "best.pth", "latest.pth", "epoch_002.pth",
                "epoch_003.pth", "tensorboard"}
    assert expected <= names, expected - names
    assert "epoch_001.pth" not in names  # only the newest keep_checkpoints=2 stay
    assert any((run / "tensorboard").iterdir())
    assert (run / "label_map.txt").read_text().splitlines() == ["walking", "jump up", "standing still"]
    header = (run / "log.csv").read_text().splitlines()[0].split(",")
    assert {"epoch", "train_loss", "val_top1", "val_top5", "val_mean_class_acc", "lr"} <= set(header)
    test = json.loads((run / "test_metrics.json").read_text())
    assert test["num_clips"] == 2 and test["num_samples"] == 12
    assert np.array(test["confusion_matrix"]).sum() == 12
    assert result["test"]["top1"] == test["top1"]
    # best.pth is the epoch with the highest validation top-1, a plain loadable checkpoint
    log = [json.loads(x) for x in (run / "log.jsonl").read_text().splitlines()]
    best_epoch = max(log, key=lambda r: (r["val_top1"], -r["epoch"]))["epoch"]
    ckpt = load_checkpoint(run / "best.pth")
    assert ckpt.meta["epoch"] == best_epoch
    assert ckpt.spec.class_names == ["walking", "jump up", "standing still"]
    assert ckpt.spec.clip_len == 16 and ckpt.spec.num_person == 1
