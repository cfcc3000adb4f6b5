"""Metrics on hand-made score matrices whose answers are worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from action_recognition.training.metrics import (
    classification_report,
    confusion_matrix,
    mean_class_accuracy,
    subset_report,
    top_k_accuracy,
)

# 4 samples, 3 classes. Predictions (argmax): 0, 0, 2, 1; labels 0, 1, 2, 2.
SCORES = np.array([
    [0.7, 0.2, 0.1],  # label 0: right
    [0.5, 0.4, 0.1],  # label 1: wrong, label ranked 2nd
    [0.1, 0.3, 0.6],  # label 2: right
    [0.2, 0.5, 0.3],  # label 2: wrong, label ranked 2nd
])
LABELS = np.array([0, 1, 2, 2])


def test_top_k_accuracy_by_hand() -> None:
    assert top_k_accuracy(SCORES, LABELS, 1) == pytest.approx(0.5)
    assert top_k_accuracy(SCORES, LABELS, 2) == pytest.approx(1.0)
    # k above the class count counts every sample (PYSKL's top-5 on a 3-class set)
    assert top_k_accuracy(SCORES, LABELS, 5) == pytest.approx(1.0)


def test_confusion_matrix_rows_are_true_classes() -> None:
    cm = confusion_matrix(SCORES.argmax(1), LABELS, 3)
    assert cm.tolist() == [[1, 0, 0], [1, 0, 0], [0, 1, 1]]


def test_mean_class_accuracy_is_mean_recall() -> None:
    # recalls: class 0 1/1, class 1 0/1, class 2 1/2 -> 0.5 (top-1 is also 0.5 here by coincidence)
    assert mean_class_accuracy(SCORES, LABELS) == pytest.approx(0.5)
    # unbalanced: 3 samples of class 0 all right, 1 of class 1 wrong -> top-1 0.75, mean class 0.5
    scores = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    labels = np.array([0, 0, 0, 1])
    assert top_k_accuracy(scores, labels, 1) == pytest.approx(0.75)
    assert mean_class_accuracy(scores, labels) == pytest.approx(0.5)


def test_mean_class_accuracy_ignores_classes_without_samples() -> None:
    scores = np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0], [0.6, 0.4, 0.0]])
    labels = np.array([0, 1, 1])  # class 2 never occurs: recall over classes 0 (1/1) and 1 (1/2)
    assert mean_class_accuracy(scores, labels) == pytest.approx(0.75)


def test_report_is_plain_json_data() -> None:
    report = classification_report(SCORES, LABELS)
    assert report == {"top1": 0.5, "top5": 1.0, "mean_class_acc": 0.5, "num_samples": 4}
    assert all(type(v) in (float, int) for v in report.values())


def test_subset_report_by_hand() -> None:
    # classes 1 and 2 only: samples 1, 2, 3. All-class argmax: 0 (wrong), 2 (right), 1 (wrong) -> 1/3.
    # Within {1, 2}: sample 1 -> 1 (right), sample 2 -> 2 (right), sample 3 -> 1 (wrong) -> 2/3.
    report = subset_report(SCORES, LABELS, [1, 2])
    assert report["num_samples"] == 3
    assert report["top1_all_classes"] == pytest.approx(1 / 3)
    assert report["top1_within"] == pytest.approx(2 / 3)
