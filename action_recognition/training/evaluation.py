"""Scores of a model over a loader: multi-clip averaging, metrics and the confusion matrix."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from action_recognition.features import average_clips
from action_recognition.model.spec import ModelSpec
from action_recognition.training.dataset import SkeletonClipDataset
from action_recognition.training.metrics import classification_report, confusion_matrix


def predict_scores(model: nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
                   device: torch.device, amp: bool = False, progress: Any = None
                   ) -> tuple[np.ndarray, np.ndarray, float]:
    """Mean per-clip softmax (PYSKL 'prob') per sample, the labels, and the mean NLL of those scores.

    Batches hold (B, num_clips, M, T, V, C); the clips go through as one (B*num_clips, ...) batch.
    """
    was_training = model.training
    model.eval()
    all_scores, all_labels = [], []
    use_amp = amp and device.type == "cuda"
    with torch.inference_mode():
        for clips, labels in batches:
            b, nc = clips.shape[:2]
            x = clips.reshape(b * nc, *clips.shape[2:]).to(device, non_blocking=True)
            with torch.autocast(device.type, enabled=use_amp):
                logits = model(x)
            all_scores.append(average_clips(logits.float().cpu().numpy().reshape(b, nc, -1), mode="prob"))
            all_labels.append(np.asarray(labels))
            if progress is not None:
                progress.update(1)
    model.train(was_training)
    scores = np.concatenate(all_scores) if all_scores else np.zeros((0, 0))
    labels = np.concatenate(all_labels) if all_labels else np.zeros(0, dtype=np.int64)
    nll = float(-np.log(np.clip(scores[np.arange(len(labels)), labels], 1e-12, None)).mean()) if len(labels) \
        else float("nan")
    return scores, labels, nll


def evaluate_samples(model: nn.Module, samples: Sequence[dict[str, Any]], spec: ModelSpec, num_clips: int,
                     device: torch.device, batch_size: int = 16, workers: int = 0, amp: bool = False,
                     progress: bool = False, desc: str = "test") -> dict[str, Any]:
    """Metrics, confusion matrix and scores of `model` on PYSKL samples (test-mode clips)."""
    dataset = SkeletonClipDataset(samples, spec, train=False, num_clips=num_clips)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=workers)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(loader), desc=desc, leave=False)
    scores, labels, nll = predict_scores(model, loader, device, amp, bar)
    if bar is not None:
        bar.close()
    report = classification_report(scores, labels)
    report["loss"] = nll
    report["num_clips"] = int(num_clips)
    return {"metrics": report, "scores": scores, "labels": labels,
            "confusion_matrix": confusion_matrix(scores.argmax(axis=1), labels, spec.num_classes),
            "names": [s["frame_dir"] for s in samples]}
