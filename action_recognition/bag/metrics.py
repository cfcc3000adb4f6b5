"""Score recorded /actions against a bag's ground truth (pure computation, no ROS).

Matching: an Action (one track's window) belongs to the ground-truth segment of its track (or a
segment for every person, track -1) whose [start, end] holds the window's newest frame stamp
(`window_end`), both in the bag's original time. Windows of tracks or times without ground truth
(e.g. a bystander) are counted as unmatched and left out of the accuracy.

- top-1 per window: a window is correct when its label equals the segment's label ("unknown", i.e. a
  score below the node's threshold, is wrong);
- segment accuracy: a segment is correct when the label most of its windows carry is its label
  (ties go to the higher summed score); segments without any window count as missed (wrong);
- latency: /actions receipt minus the replay's publish time of the source message that carries the
  ActionArray's header stamp (the newest frame used), in milliseconds.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from action_recognition.bag.ground_truth import Segment

UNKNOWN = "unknown"


@dataclass(frozen=True)
class WindowResult:
    """One Action of one received ActionArray, its stamps back in the bag's original time."""

    track_id: int
    label: str
    score: float
    window_end_ns: int


def _percentiles(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"count": 0, "p50": None, "p95": None, "max": None, "mean": None}
    arr = np.asarray(values, np.float64)
    return {
        "count": int(arr.size),
        "p50": float(np.percentile(arr, 50)),
        "p95": float(np.percentile(arr, 95)),
        "max": float(arr.max()),
        "mean": float(arr.mean()),
    }


def latency_summary(latencies_ms: Sequence[float]) -> dict[str, float | None]:
    return _percentiles(latencies_ms)


def match(windows: Sequence[WindowResult], segments: Sequence[Segment]) -> list[int | None]:
    """Index of the matching segment of each window (a track's own segment beats a track -1 one)."""
    by_track: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(segments):
        by_track[s.track_id].append(i)
    out: list[int | None] = []
    for w in windows:
        found = None
        for candidates in (by_track.get(w.track_id, ()), by_track.get(-1, ())):
            found = next((i for i in candidates if segments[i].covers(w.track_id, w.window_end_ns)), None)
            if found is not None:
                break
        out.append(found)
    return out


def accuracy_report(
    windows: Sequence[WindowResult], segments: Sequence[Segment], classes: Sequence[str]
) -> dict[str, Any]:
    """Window top-1, per-class accuracy, confusion matrix and segment accuracy (see the module doc)."""
    classes = list(classes) or sorted({s.label for s in segments})
    scored = [s for s in segments if s.class_id >= 0 or s.label in classes]
    idx = match(windows, scored)
    predicted_cols = [*classes, UNKNOWN]
    confusion = np.zeros((len(classes), len(predicted_cols)), np.int64)
    per_seg: dict[int, list[WindowResult]] = defaultdict(list)
    extra_labels: Counter[str] = Counter()
    for w, i in zip(windows, idx, strict=True):
        if i is None:
            continue
        per_seg[i].append(w)
        row = classes.index(scored[i].label) if scored[i].label in classes else None
        if row is None:
            continue
        if w.label in classes:
            confusion[row, classes.index(w.label)] += 1
        else:  # "unknown", or a label the bag's class list lacks (model/bag class mismatch)
            confusion[row, -1] += 1
            if w.label != UNKNOWN:
                extra_labels[w.label] += 1
    correct = int(np.trace(confusion[:, : len(classes)]))
    total = int(confusion.sum())
    per_class = {}
    for r, name in enumerate(classes):
        n = int(confusion[r].sum())
        per_class[name] = {
            "windows": n,
            "correct": int(confusion[r, r]),
            "accuracy": confusion[r, r] / n if n else None,
        }
    seg_rows = []
    for i, seg in enumerate(scored):
        ws = per_seg.get(i, [])
        votes: Counter[str] = Counter(w.label for w in ws)
        score_sum: dict[str, float] = defaultdict(float)
        for w in ws:
            score_sum[w.label] += w.score
        pred = max(votes, key=lambda lab: (votes[lab], score_sum[lab])) if ws else None
        seg_rows.append(
            {
                "segment": seg.name,
                "track_id": seg.track_id,
                "label": seg.label,
                "predicted": pred,
                "windows": len(ws),
                "correct": pred == seg.label,
            }
        )
    seg_correct = sum(r["correct"] for r in seg_rows)
    return {
        "classes": classes,
        "windows_total": len(windows),
        "windows_matched": total,
        "windows_unmatched": len(windows) - sum(i is not None for i in idx),
        "top1": correct / total if total else None,
        "correct": correct,
        "per_class": per_class,
        "confusion": {"rows": classes, "cols": predicted_cols, "matrix": confusion.tolist()},
        "segments_total": len(seg_rows),
        "segments_correct": seg_correct,
        "segment_accuracy": seg_correct / len(seg_rows) if seg_rows else None,
        "segments_without_windows": sum(r["windows"] == 0 for r in seg_rows),
        "segments": seg_rows,
        "labels_not_in_classes": dict(extra_labels),
    }
