"""INT8 against float32 for an action model: speed side by side, logits, and accuracy on the same data.

Both are the model's ONNX Runtime exports (the action node's `precision` fp32 / int8), run with one
thread. Speed: CPU ms per track of one forward pass, the two sessions alternated call by call in one
process (so load affects both alike). Accuracy: the same functions `action-recognition eval` uses, on
the model's synthetic test split (`evaluate_samples`) and on labelled real motion (`evaluate_set`).

    taskset -c 1 .venv/bin/python benchmarks/bench_int8.py \\
        --data data/synth/coco_synth_v2.pkl --real ../shared/real_dev/utd_mhad_dev_coco2d.pkl --json int8.json
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np
import torch

from action_recognition.data.format import load_dataset, split_samples
from action_recognition.features import sample_to_clips
from action_recognition.recognition import load_action_model
from action_recognition.training.evaluation import evaluate_samples
from action_recognition.training.real_eval import evaluate_set, load_labelled


class OnnxModule(torch.nn.Module):
    """An ONNX Runtime backend behind the nn.Module call the evaluation functions make."""

    def __init__(self, backend: Any) -> None:
        super().__init__()
        self.backend = backend

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(self.backend.predict(x.numpy()))


def speed(backends: dict[str, Any], spec: Any, batches: tuple[int, ...], reps: int) -> dict[str, dict]:
    """Median CPU ms per track of one forward pass, per precision and batch size (alternated)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-0.5, 0.5, (max(batches), 1, spec.clip_len, spec.skeleton().num_joints, spec.in_channels))
    x = x.astype(np.float32)
    times: dict[tuple[str, int], list[float]] = {(k, b): [] for k in backends for b in batches}
    for b in batches:
        for backend in backends.values():
            backend.predict(x[:b])  # warm-up
    for _ in range(reps):
        for b in batches:
            for name, backend in backends.items():
                start = time.thread_time()
                backend.predict(x[:b])
                times[(name, b)].append((time.thread_time() - start) * 1e3 / b)
    return {name: {str(b): round(float(np.median(times[(name, b)])), 2) for b in batches}
            for name in backends}


def logit_stats(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    d = np.abs(a - b)
    return {"max_abs": round(float(d.max()), 4), "mean_abs": round(float(d.mean()), 5),
            "p99_abs": round(float(np.percentile(d, 99)), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model .pth or shipped name (default: the default)")
    parser.add_argument("--data", help="PYSKL file with the model's test split")
    parser.add_argument("--split", default="test")
    parser.add_argument("--num-clips", type=int, default=1, help="test clips per sample (the node uses 1)")
    parser.add_argument("--real", action="append", default=[], help="labelled real motion (repeatable)")
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()

    models = {p: load_action_model(args.model, threads=1, precision=p) for p in ("fp32", "int8")}
    spec, classes = models["fp32"].spec, models["fp32"].labels
    backends = {p: m.backend for p, m in models.items()}
    result: dict[str, Any] = {"model": str(models["fp32"].path),
                              "speed_cpu_ms_per_track": speed(backends, spec, (1, 2, 4, 8), args.reps)}
    print(json.dumps(result["speed_cpu_ms_per_track"]))
    if args.data:
        samples = split_samples(load_dataset(args.data), None if args.split == "all" else args.split)
        out = {p: evaluate_samples(OnnxModule(b), samples, spec, args.num_clips, torch.device("cpu"), 16)
               for p, b in backends.items()}
        fp, q = out["fp32"], out["int8"]
        result["synthetic"] = {
            "samples": len(samples), "num_clips": args.num_clips,
            "top1": {p: round(o["metrics"]["top1"], 4) for p, o in out.items()},
            "mean_class_acc": {p: round(o["metrics"]["mean_class_acc"], 4) for p, o in out.items()},
            "same_top1_label": round(float((fp["scores"].argmax(1) == q["scores"].argmax(1)).mean()), 4),
            "probability_diff": logit_stats(fp["scores"], q["scores"]),
        }
        clips = np.concatenate([sample_to_clips(s, spec, test_mode=True) for s in samples[:256]])
        logits = {p: np.concatenate([b.predict(clips[i:i + 32]) for i in range(0, len(clips), 32)])
                  for p, b in backends.items()}
        result["synthetic"]["logit_diff_first_256"] = logit_stats(logits["fp32"], logits["int8"])
        result["synthetic"]["logit_range_fp32"] = round(float(np.ptp(logits["fp32"], axis=1).mean()), 2)
        print(json.dumps(result["synthetic"]))
    for path in args.real:
        data = load_labelled(path, classes)
        scores: dict[str, dict[str, np.ndarray]] = {p: {} for p in backends}
        reports = {p: evaluate_set(OnnxModule(b), spec, data, classes, scores=scores[p])
                   for p, b in backends.items()}
        row = {}
        for view in ("whole", "window_2s", "window_3s"):
            row[view] = {p: {k: round(r[view][k], 4) for k in ("top1", "rejection") if k in r[view]}
                         for p, r in reports.items()}
            key = f"{data.name}/{view}/probs"
            a, b = scores["fp32"][key], scores["int8"][key]
            row[view]["samples"] = len(a)
            row[view]["same_top1_label"] = round(float((a.argmax(1) == b.argmax(1)).mean()), 4)
            row[view]["probability_diff"] = logit_stats(a, b)
        result.setdefault("real", {})[data.name] = row
        print(data.name, json.dumps(row))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()
