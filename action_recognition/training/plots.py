"""PNG plots of a run: loss/accuracy curves and a confusion matrix (matplotlib, no display)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only; never needs a display
    import matplotlib.pyplot as plt

    return plt


def train_cross_entropy(history: Sequence[dict[str, Any]]) -> list[float | None]:
    """Per epoch, the training labels' cross-entropy: `train_ce` (with a distillation teacher
    `train_loss` is the combined loss), or `train_loss` for epochs logged before `train_ce` existed
    (a resumed older run)."""
    return [h.get("train_ce", h.get("train_loss")) for h in history]


def plot_curves(history: Sequence[dict[str, Any]], path: str | os.PathLike) -> Path:
    """Loss (train, val) and accuracy (val top-1, top-5, mean class) per epoch."""
    plt = _pyplot()
    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    train = train_cross_entropy(history)
    val = [h.get("val_loss") for h in history]
    for values, label in ((train, "train"), (val, "val")):
        pts = [(e, v) for e, v in zip(epochs, values, strict=True) if v is not None]
        if pts:
            ax_loss.plot(*zip(*pts, strict=True), marker="o", label=label)
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    ax_loss.legend()
    # dashed/small markers so equal curves (val top-1 == mean class acc on balanced data) stay visible
    for key, label, style in (("val_top1", "val top-1", "-o"), ("val_top5", "val top-5", "-o"),
                              ("val_mean_class_acc", "val mean class acc", "--x"),
                              ("train_top1", "train top-1", "-o")):
        pts = [(e, h[key]) for e, h in zip(epochs, history, strict=True) if h.get(key) is not None]
        if pts:
            ax_acc.plot(*zip(*pts, strict=True), style, label=label)
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0, 1.02))
    ax_acc.legend(loc="lower right")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_confusion_matrix(cm: np.ndarray, class_names: Sequence[str], path: str | os.PathLike,
                          title: str = "confusion matrix") -> Path:
    """Rows (true class) normalised to recall; each cell also shows the raw count."""
    plt = _pyplot()
    cm = np.asarray(cm)
    k = cm.shape[0]
    rows = cm.sum(axis=1, keepdims=True)
    norm = np.divide(cm, rows, out=np.zeros(cm.shape, dtype=float), where=rows > 0)
    size = max(5.0, 0.55 * k + 2.5)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="fraction of the true class")
    names = [n if len(n) <= 22 else n[:20] + ".." for n in class_names]
    ax.set_xticks(range(k), names, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(k), names, fontsize=8)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    if k <= 30:
        for i in range(k):
            for j in range(k):
                if cm[i, j]:
                    ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=7,
                            color="white" if norm[i, j] > 0.5 else "black")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
