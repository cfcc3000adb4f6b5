"""The run folder: resolved config, label map, epoch logs (JSONL + CSV), TensorBoard, plots."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from action_recognition.training.config import TrainConfig, dump_config
from action_recognition.training.plots import plot_confusion_matrix, plot_curves

CONFIG_FILE = "config.yaml"
LABEL_MAP_FILE = "label_map.txt"
LOG_JSONL = "log.jsonl"
LOG_CSV = "log.csv"
CURVES_PNG = "curves.png"
CONFUSION_PNG = "confusion_matrix.png"
TEST_METRICS = "test_metrics.json"
TEST_SCORES = "test_scores.npz"


def write_label_map(class_names: Sequence[str], path: str | os.PathLike) -> Path:
    """One class name per line; line i (0-based) is label i."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{name}\n" for name in class_names))
    return path


def read_label_map(path: str | os.PathLike) -> list[str]:
    return [line.rstrip("\n") for line in Path(path).read_text().splitlines() if line.strip()]


def save_scores(path: str | os.PathLike, scores: np.ndarray, labels: np.ndarray,
                class_names: Sequence[str], names: Sequence[str] | None = None, stream: str = "") -> Path:
    """Per-sample class scores (probabilities) for later fusion: npz with scores, labels, names."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, scores=np.asarray(scores, dtype=np.float64), labels=np.asarray(labels, dtype=np.int64),
             classes=np.array(list(class_names)), names=np.array(list(names or [])), stream=np.array(stream))
    return path


class RunWriter:
    """Writes one run's files; only the main process (rank 0) creates one."""

    def __init__(self, work_dir: str | os.PathLike, tensorboard: bool = True) -> None:
        self.dir = Path(work_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.history: list[dict[str, Any]] = []
        self._tb = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self._tb = SummaryWriter(str(self.dir / "tensorboard"))
            except ImportError:  # tensorboard is optional: the JSONL/CSV logs hold the same numbers
                self._tb = None

    def write_setup(self, cfg: TrainConfig, class_names: Sequence[str]) -> None:
        dump_config(cfg, self.dir / CONFIG_FILE)
        write_label_map(class_names, self.dir / LABEL_MAP_FILE)

    def load_history(self) -> None:
        """Pick up the epochs a resumed run already logged."""
        path = self.dir / LOG_JSONL
        if path.exists():
            self.history = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def scalar(self, tag: str, value: float, step: int) -> None:
        if self._tb is not None:
            self._tb.add_scalar(tag, value, step)

    def log_epoch(self, record: dict[str, Any]) -> None:
        self.history = [h for h in self.history if h["epoch"] < record["epoch"]] + [record]
        with (self.dir / LOG_JSONL).open("w") as f:  # rewritten: a resumed run drops replayed epochs
            for h in self.history:
                f.write(json.dumps(h) + "\n")
        keys = list(dict.fromkeys(k for h in self.history for k in h))
        with (self.dir / LOG_CSV).open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=keys)
            writer.writeheader()
            writer.writerows(self.history)
        for key, value in record.items():
            if key != "epoch" and isinstance(value, (int, float)) and value is not None:
                self.scalar(f"epoch/{key}", float(value), record["epoch"])
        plot_curves(self.history, self.dir / CURVES_PNG)

    def write_test(self, metrics: dict[str, Any], cm: np.ndarray, class_names: Sequence[str]) -> None:
        (self.dir / TEST_METRICS).write_text(json.dumps(
            {**metrics, "confusion_matrix": np.asarray(cm).tolist(), "classes": list(class_names)}, indent=2))
        plot_confusion_matrix(cm, class_names, self.dir / CONFUSION_PNG,
                              title=f"test: top-1 {metrics['top1']:.3f}, mean class acc "
                                    f"{metrics['mean_class_acc']:.3f}")

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
