"""`action-recognition eval --real FILE.pkl ...`: a model on labelled real motion (training.real_eval)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def run_real(args: argparse.Namespace) -> int:
    from action_recognition.model.checkpoint import CheckpointError, load_model_file
    from action_recognition.recognition.model_source import resolve_model_path
    from action_recognition.training.real_eval import (
        evaluate_set,
        format_sweep,
        format_table,
        hidden,
        load_labelled,
        reframed,
        seen_from,
    )

    try:
        windows = [float(w) for w in args.windows.split(",") if w.strip()]
    except ValueError:
        print(f"error: --windows {args.windows!r}: write seconds separated by commas, e.g. 2,3",
              file=sys.stderr)
        return 2
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    try:
        ckpt = load_model_file(resolve_model_path(args.checkpoint))
    except (CheckpointError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    classes = ckpt.spec.class_names or [f"class_{i}" for i in range(ckpt.spec.num_classes)]
    threshold = args.threshold
    if threshold is None:
        threshold = float((ckpt.meta.get("info") or {}).get("score_threshold", 0.0))
    try:
        subjects = [int(x) for x in args.subjects.split(",")] if args.subjects else None
    except ValueError:
        print(f"error: --subjects {args.subjects!r}: write ids separated by commas, e.g. 5,7",
              file=sys.stderr)
        return 2
    try:
        shift = _pair(args.shift, ",", float, (0.0, 0.0))
        canvas = _pair(args.canvas, "x", int, None)
        if args.scale <= 0 or (canvas is not None and min(canvas) <= 0):
            raise ValueError
    except ValueError:
        print(f"error: --shift {args.shift!r} / --scale {args.scale!r} / --canvas {args.canvas!r}: write "
              "e.g. --shift 0,-60 --scale 0.7 --canvas 1280x720 (positive scale and canvas)", file=sys.stderr)
        return 2
    names = list(ckpt.spec.skeleton().joint_names)
    hide = [n.strip() for n in args.hide.split(",") if n.strip()] if args.hide else []
    strangers = [n for n in hide if n not in names]
    if strangers:
        print(f"error: --hide {args.hide!r}: {strangers} are not joints of the "
              f"model's layout; use names from {names}", file=sys.stderr)
        return 2
    reports = []
    scores: dict = {}
    for path in args.real:
        try:
            data = load_labelled(path, classes, subjects=subjects)
            if args.view_yaw is not None:
                data = seen_from(data, args.view_yaw, args.view_pitch)
            if any(shift) or args.scale != 1.0 or canvas is not None:
                data = reframed(data, shift, args.scale, canvas)
            if hide:
                data = hidden(data, [names.index(n) for n in hide], "+".join(hide))
        except (OSError, ValueError, KeyError) as exc:
            print(f"error: {path}: {exc}", file=sys.stderr)
            return 2
        reports.append(evaluate_set(ckpt.model, ckpt.spec, data, classes, windows, threshold=threshold,
                                    noise_seed=args.noise_seed, scores=scores))
    result = {"checkpoint": str(args.checkpoint), "threshold": threshold, "noise_seed": args.noise_seed,
              "subjects": subjects, "view_yaw": args.view_yaw, "view_pitch": args.view_pitch,
              "shift": list(shift), "scale": args.scale, "canvas": list(canvas) if canvas else None,
              "hide": hide,
              "reports": reports}
    print(format_table(reports, classes))
    print("\nin-set top-1 % / out-of-set rejected % per score threshold t:")
    print(format_sweep(reports))
    if args.out:
        folder = Path(args.out)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "real_metrics.json").write_text(json.dumps(result, indent=2))
        (folder / "real_table.md").write_text(format_table(reports, classes) + "\n\n"
                                              + format_sweep(reports) + "\n")
        import numpy as np

        np.savez_compressed(folder / "real_scores.npz", classes=np.array(classes), **scores)
        print(f"wrote {folder}/real_metrics.json, real_table.md, real_scores.npz")
    return 0


def _pair(text: str | None, sep: str, kind: type, default: Any) -> Any:
    """"A<sep>B" -> (kind(A), kind(B)); None -> default; ValueError otherwise."""
    if text is None:
        return default
    parts = text.lower().split(sep)
    if len(parts) != 2:
        raise ValueError(text)
    return kind(parts[0]), kind(parts[1])
