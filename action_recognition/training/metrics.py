"""Classification metrics on score matrices: top-k accuracy, mean class accuracy, confusion matrix."""

from __future__ import annotations

import numpy as np


def top_k_accuracy(scores: np.ndarray, labels: np.ndarray, k: int = 1) -> float:
    """Fraction of samples whose label is among the k highest scores (ties broken by index)."""
    scores = np.asarray(scores)
    labels = np.asarray(labels).reshape(-1)
    if len(labels) == 0:
        return float("nan")
    k = min(k, scores.shape[1])
    # stable argsort of the negated scores: on ties the lower class index ranks first
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return float((top == labels[:, None]).any(axis=1).mean())


def confusion_matrix(pred: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """(K, K) counts: row = true class, column = predicted class."""
    pred = np.asarray(pred, dtype=np.int64).reshape(-1)
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (labels, pred), 1)
    return cm


def mean_class_accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mean over the classes present in `labels` of each class's top-1 recall (PYSKL's definition)."""
    scores = np.asarray(scores)
    labels = np.asarray(labels).reshape(-1)
    cm = confusion_matrix(scores.argmax(axis=1), labels, scores.shape[1])
    support = cm.sum(axis=1)
    present = support > 0
    if not present.any():
        return float("nan")
    return float((np.diag(cm)[present] / support[present]).mean())


def classification_report(scores: np.ndarray, labels: np.ndarray) -> dict[str, float | int]:
    """top1, top5, mean_class_acc and the sample count, as plain floats (JSON-ready)."""
    return {
        "top1": top_k_accuracy(scores, labels, 1),
        "top5": top_k_accuracy(scores, labels, 5),
        "mean_class_acc": mean_class_accuracy(scores, labels),
        "num_samples": len(np.asarray(labels).reshape(-1)),
    }


def subset_report(scores: np.ndarray, labels: np.ndarray, class_ids: list[int]) -> dict[str, float | int]:
    """Accuracy on the samples of some classes only (e.g. a sit/stand pair).

    top1_all_classes: argmax over every class (a confusion with any other class counts as wrong);
    top1_within: argmax over the chosen classes only (the pair as a task of its own).
    """
    scores = np.asarray(scores)
    labels = np.asarray(labels).reshape(-1)
    ids = np.asarray(class_ids, dtype=np.int64)
    keep = np.isin(labels, ids)
    if not keep.any():
        return {"top1_all_classes": float("nan"), "top1_within": float("nan"), "num_samples": 0}
    s, y = scores[keep], labels[keep]
    within = ids[s[:, ids].argmax(axis=1)]
    return {"top1_all_classes": float((s.argmax(axis=1) == y).mean()),
            "top1_within": float((within == y).mean()), "num_samples": int(keep.sum())}
