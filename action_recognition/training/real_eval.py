"""Accuracy of an action model on labelled real motion, as offline sequences and as online windows.

Input: PYSKL files whose `classes` name the labels (such as ../shared/real_dev). A sample whose class
name is one of the model's classes is "in set"; every other sample is "out of set" and should come out
as unknown: the model's own `unknown` class (an internal class trained on other actions) or a top score
below the threshold. Reported per data file and per class:
- whole sequences, sampled to clip_len in test mode (what `action-recognition eval` does);
- windows of W seconds every `stride_s`, each classified alone, as the action node sees a track (a
  sequence shorter than W gives one window of all its frames).
In-set top-1 counts a rejected in-set sample as wrong; the rejection rate is the share of out-of-set
samples (or windows) that come out unknown.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from action_recognition.data.reproject import view_coco
from action_recognition.features import sample_to_clips
from action_recognition.features.formatting import average_clips
from action_recognition.features.normalize import DEFAULT_IMG_SHAPE
from action_recognition.model.spec import ModelSpec
from action_recognition.training.augment import estimator_noise, undetected

UNKNOWN = "unknown"
OUT_OF_SET = -1


@dataclass
class LabelledSet:
    """One file's samples with labels mapped to the model's classes (-1 = out of set)."""

    name: str  # the file's stem
    samples: list[dict[str, Any]]
    labels: np.ndarray  # model class index, or -1
    source_labels: list[str]
    fps: float


@dataclass
class Prediction:
    probs: np.ndarray  # (N, K)
    labels: np.ndarray  # (N,) model class index or -1
    source_labels: list[str] = field(default_factory=list)


def map_to_model(file_classes: Sequence[str], model_classes: Sequence[str]) -> dict[int, int]:
    """File label -> model class index; labels whose names the model lacks (or 'unknown') map to -1."""
    index = {name: i for i, name in enumerate(model_classes) if name != UNKNOWN}
    return {i: index.get(name, OUT_OF_SET) for i, name in enumerate(file_classes)}


def load_labelled(path: str | Path, model_classes: Sequence[str], split: str | None = None,
                  subjects: Sequence[int] | None = None) -> LabelledSet:
    """A PYSKL file (with `classes`) -> its samples and their labels in the model's class order.

    subjects: keep only samples whose `subject` is one of these (leave-subjects-out protocols)."""
    path = Path(path)
    with path.open("rb") as fh:
        data = pickle.load(fh)
    classes = data.get("classes")
    if not classes:
        raise ValueError(f"{path}: the file names no `classes`; out-of-set samples cannot be told apart")
    mapping = map_to_model(classes, model_classes)
    samples = data["annotations"]
    if split is not None:
        wanted = set(data["split"][split])
        samples = [s for s in samples if s["frame_dir"] in wanted]
    if subjects is not None:
        samples = [s for s in samples if s.get("subject") in set(subjects)]
    labels = np.array([mapping[int(s["label"])] for s in samples], dtype=np.int64)
    names = [str(s.get("source_label", classes[int(s["label"])])) for s in samples]
    fps = float(np.median([float(s.get("fps", 30.0)) for s in samples])) if samples else 30.0
    return LabelledSet(path.stem, list(samples), labels, names, fps)


# The fixed camera of `seen_from`: full HD, 70 degrees wide, the person 4 m away at their nearest (further
# back when a walk would leave the frame) and centred.
VIEW_CAMERA = {"width": 1920, "height": 1080, "focal": 1920 / 2 / np.tan(np.radians(35.0)), "distance": 4.0}


def seen_from(data: LabelledSet, yaw: float, pitch: float = 0.0) -> LabelledSet:
    """A set of NTU RGB+D 3D samples as COCO-17 2D from one viewpoint (person turned by `yaw` degrees)."""
    out = []
    for sample in data.samples:
        kp = np.asarray(sample["keypoint"])
        if kp.ndim != 4 or kp.shape[-2:] != (25, 3):
            raise ValueError(f"{data.name}: --view-yaw needs NTU RGB+D 3D joints (M, T, 25, 3), "
                             f"got {kp.shape}; pass the *_ntu3d.pkl file")
        uv, score = view_coco(kp, yaw, pitch, VIEW_CAMERA["distance"], VIEW_CAMERA["width"],
                              VIEW_CAMERA["height"], VIEW_CAMERA["focal"], fit=True)
        shape = (VIEW_CAMERA["height"], VIEW_CAMERA["width"])
        out.append({**sample, "keypoint": uv, "keypoint_score": score, "img_shape": shape,
                    "original_shape": shape})
    name = f"{data.name}@yaw{yaw:g}" + (f"_pitch{pitch:g}" if pitch else "")
    return LabelledSet(name, out, data.labels, data.source_labels, data.fps)


def reframed(data: LabelledSet, shift: tuple[float, float] = (0.0, 0.0), scale: float = 1.0,
             canvas: tuple[int, int] | None = None) -> LabelledSet:
    """The same people framed differently: every detected joint scaled by `scale` about the image centre,
    then moved by `shift` pixels (x right, y down); with `canvas` (width, height), the pixels are put in
    a frame of that size (top-left corner kept). Coordinates are normalised by the image (as in PYSKL),
    so this measures how much a label depends on where and how large a person is in the frame.
    """
    if scale <= 0:
        raise ValueError(f"scale {scale}: must be positive")
    out = []
    for sample in data.samples:
        kp = np.asarray(sample["keypoint"], dtype=np.float32)
        score = sample.get("keypoint_score")
        seen = np.abs(kp).sum(-1) > 0 if score is None else np.asarray(score) > 0
        h, w = sample.get("img_shape", DEFAULT_IMG_SHAPE)
        centre = np.array([w / 2, h / 2], dtype=np.float32)
        moved = (kp - centre) * scale + centre + np.asarray(shift, dtype=np.float32)
        shape = (canvas[1], canvas[0]) if canvas is not None else (h, w)
        out.append({**sample, "keypoint": np.where(seen[..., None], moved, kp), "img_shape": shape,
                    "original_shape": shape})
    tag = "".join([f"_shift{shift[0]:g},{shift[1]:g}" if any(shift) else "",
                   f"_scale{scale:g}" if scale != 1.0 else "",
                   f"_canvas{canvas[0]}x{canvas[1]}" if canvas is not None else ""])
    return LabelledSet(data.name + (f"@{tag[1:]}" if tag else ""), out, data.labels, data.source_labels,
                       data.fps)


def hidden(data: LabelledSet, joints: Sequence[int], tag: str = "") -> LabelledSet:
    """The same people with `joints` never detected (score 0, at (0, 0)), as a person cut by the frame's
    bottom edge or seen only from the waist up reaches the model."""
    out = [undetected(s, np.isin(np.arange(np.shape(s["keypoint"])[-2]), list(joints))) for s in data.samples]
    name = data.name + (f"@hide_{tag}" if tag else f"@hide{len(joints)}")
    return LabelledSet(name, out, data.labels, data.source_labels, data.fps)


def windows_of(sample: dict[str, Any], length: int, stride: int) -> list[dict[str, Any]]:
    """Consecutive-frame windows of `length` every `stride` frames (the whole sample if shorter)."""
    total = int(sample["keypoint"].shape[1])
    starts = [0] if total <= length else list(range(0, total - length + 1, stride))
    out = []
    for s in starts:
        w = dict(sample)
        w["keypoint"] = sample["keypoint"][:, s:s + length]
        if sample.get("keypoint_score") is not None:
            w["keypoint_score"] = sample["keypoint_score"][:, s:s + length]
        w["total_frames"] = int(w["keypoint"].shape[1])
        out.append(w)
    return out


def predict(model: torch.nn.Module, spec: ModelSpec, samples: Sequence[dict[str, Any]],
            batch_size: int = 32) -> np.ndarray:
    """Class probabilities (N, K) of samples, one test-mode clip each (as the online recognizer)."""
    layout = spec.skeleton()
    single = spec if spec.num_clips == 1 else ModelSpec(**{**spec.to_dict(), "num_clips": 1})
    out = []
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(samples), batch_size):
            clips = np.concatenate([sample_to_clips(s, single, test_mode=True, layout=layout)
                                    for s in samples[start:start + batch_size]])
            logits = model(torch.from_numpy(np.ascontiguousarray(clips, dtype=np.float32))).numpy()
            out.append(average_clips(logits, 1))
    return np.concatenate(out) if out else np.zeros((0, spec.num_classes))


def rejected(probs: np.ndarray, classes: Sequence[str], threshold: float) -> np.ndarray:
    """Which outputs a node publishes as unknown: the `unknown` class on top, or a top score below
    the threshold."""
    top = probs.argmax(1)
    unknown = np.array([classes[i] == UNKNOWN for i in top], dtype=bool)
    return unknown | (probs.max(1) < threshold)


def summarise(pred: Prediction, classes: Sequence[str], threshold: float) -> dict[str, Any]:
    """In-set top-1 (rejections count as wrong), per-class accuracy and out-of-set rejection."""
    top = pred.probs.argmax(1)
    rej = rejected(pred.probs, classes, threshold)
    inset = pred.labels >= 0
    correct = (top == pred.labels) & ~rej & inset
    per_class = {}
    for k, name in enumerate(classes):
        mask = pred.labels == k
        if mask.any():
            per_class[name] = {"n": int(mask.sum()), "acc": float(correct[mask].mean())}
    out: dict[str, Any] = {"in_set": int(inset.sum()), "out_of_set": int((~inset).sum())}
    if inset.any():
        out["top1"] = float(correct[inset].mean())
        out["mean_class_acc"] = float(np.mean([v["acc"] for v in per_class.values()]))
        out["in_set_rejected"] = float(rej[inset].mean())
        out["per_class"] = per_class
    if (~inset).any():
        out["rejection"] = float(rej[~inset].mean())
        names = np.array(pred.source_labels, dtype=object)[~inset] if pred.source_labels else None
        if names is not None:
            wrong = names[~rej[~inset]]
            taken = top[~inset][~rej[~inset]]
            out["out_of_set_read_as"] = _count(classes[i] for i in taken)
            out["out_of_set_not_rejected"] = _count(wrong)
    return out


SWEEP = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def threshold_sweep(pred: Prediction, classes: Sequence[str],
                    thresholds: Sequence[float] = SWEEP) -> list[dict[str, float]]:
    """In-set top-1 and out-of-set rejection at each score threshold (to choose one)."""
    rows = []
    for t in thresholds:
        r = summarise(pred, classes, t)
        rows.append({"threshold": float(t), "top1": r.get("top1", float("nan")),
                     "rejection": r.get("rejection", float("nan"))})
    return rows


MARGINS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)


def shift_class(probs: np.ndarray, index: int, margin: float) -> np.ndarray:
    """Probabilities after subtracting `margin` from one class's logit (a head-bias change)."""
    out = probs.astype(np.float64).copy()
    out[:, index] *= np.exp(-margin)
    return out / out.sum(1, keepdims=True)


def unknown_margin_sweep(pred: Prediction, classes: Sequence[str],
                         margins: Sequence[float] = MARGINS) -> list[dict[str, float]]:
    """In-set top-1 and rejection when the `unknown` logit is lowered by each margin (choose the bias)."""
    if UNKNOWN not in classes:
        return []
    k = list(classes).index(UNKNOWN)
    rows = []
    for m in margins:
        r = summarise(Prediction(shift_class(pred.probs, k, m), pred.labels), classes, 0.0)
        rows.append({"margin": float(m), "top1": r.get("top1", float("nan")),
                     "rejection": r.get("rejection", float("nan"))})
    return rows


def _count(items: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[str(item)] = counts.get(str(item), 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def evaluate_set(model: torch.nn.Module, spec: ModelSpec, data: LabelledSet, classes: Sequence[str],
                 windows_s: Sequence[float] = (2.0, 3.0), stride_s: float = 0.5, threshold: float = 0.0,
                 noise_seed: int | None = None,
                 scores: dict[str, np.ndarray] | None = None) -> dict[str, Any]:
    """Whole-sequence and windowed results of one labelled set (optionally with estimator noise).

    scores: if given, receives '<file>/<view>/probs' and '<file>/<view>/labels' arrays (for re-analysis)."""
    samples = data.samples
    if noise_seed is not None:
        rng = np.random.default_rng(noise_seed)
        samples = [estimator_noise(s, rng) for s in samples]
    report: dict[str, Any] = {"file": data.name, "sequences": len(samples), "fps": data.fps}
    whole = Prediction(predict(model, spec, samples), data.labels, data.source_labels)
    report["whole"] = summarise(whole, classes, threshold)
    report["whole"]["sweep"] = threshold_sweep(whole, classes)
    report["whole"]["unknown_margin_sweep"] = unknown_margin_sweep(whole, classes)
    _keep(scores, f"{data.name}/whole", whole)
    for seconds in windows_s:
        length = max(1, round(seconds * data.fps))
        stride = max(1, round(stride_s * data.fps))
        wins, labels, names = [], [], []
        for sample, label, name in zip(samples, data.labels, data.source_labels, strict=True):
            for w in windows_of(sample, length, stride):
                wins.append(w)
                labels.append(label)
                names.append(name)
        pred = Prediction(predict(model, spec, wins), np.array(labels, dtype=np.int64), names)
        report[f"window_{seconds:g}s"] = {"windows": len(wins), **summarise(pred, classes, threshold),
                                          "sweep": threshold_sweep(pred, classes),
                                          "unknown_margin_sweep": unknown_margin_sweep(pred, classes)}
        _keep(scores, f"{data.name}/window_{seconds:g}s", pred)
    return report


def _keep(scores: dict[str, np.ndarray] | None, key: str, pred: Prediction) -> None:
    if scores is not None:
        scores[key + "/probs"] = pred.probs.astype(np.float32)
        scores[key + "/labels"] = pred.labels


def format_table(reports: Sequence[dict[str, Any]], classes: Sequence[str]) -> str:
    """Markdown: one row per (file, view) with top-1, sit/stand, per-class accuracy and rejection."""
    shown = [c for c in classes if c != UNKNOWN]
    short = [c.split(" (")[0] for c in shown]
    head = "| data | view | n | top-1 | mean class | " + " | ".join(short) + " | out-of-set rejected |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for rep in reports:
        for view in [k for k in rep if k == "whole" or k.startswith("window_")]:
            r = rep[view]
            pc = r.get("per_class", {})
            cells = [f"{pc[c]['acc'] * 100:.0f} ({pc[c]['n']})" if c in pc else "-" for c in shown]
            top1 = f"{r['top1'] * 100:.1f} %" if "top1" in r else "-"
            mca = f"{r['mean_class_acc'] * 100:.1f} %" if "mean_class_acc" in r else "-"
            rej = f"{r['rejection'] * 100:.1f} % ({r['out_of_set']})" if "rejection" in r else "-"
            n = r.get("windows", rep["sequences"])
            lines.append(f"| {rep['file']} | {view} | {n} | {top1} | {mca} | " + " | ".join(cells)
                         + f" | {rej} |")
    return "\n".join(lines)


def format_sweep(reports: Sequence[dict[str, Any]]) -> str:
    """Markdown: in-set top-1 / out-of-set rejection per score threshold, per (file, view)."""
    views = [(rep, v) for rep in reports for v in rep if v == "whole" or v.startswith("window_")]
    if not views:
        return ""
    thresholds = [row["threshold"] for row in views[0][0][views[0][1]]["sweep"]]
    head = "| data | view | " + " | ".join(f"t={t:g}" for t in thresholds) + " |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for rep, view in views:
        cells = [f"{_pct(r['top1'])} / {_pct(r['rejection'])}" for r in rep[view]["sweep"]]
        lines.append(f"| {rep['file']} | {view} | " + " | ".join(cells) + " |")
    margins = views[0][0][views[0][1]].get("unknown_margin_sweep") or []
    if margins:
        head = "| data | view | " + " | ".join(f"unknown -{r['margin']:g}" for r in margins) + " |"
        lines += ["", head, "|" + "---|" * (head.count("|") - 1)]
        for rep, view in views:
            cells = [f"{_pct(r['top1'])} / {_pct(r['rejection'])}" for r in rep[view]["unknown_margin_sweep"]]
            lines.append(f"| {rep['file']} | {view} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _pct(x: float) -> str:
    return "-" if x != x else f"{x * 100:.0f}"

