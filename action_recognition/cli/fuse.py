"""`action-recognition fuse`: weighted fusion of per-stream test scores (PYSKL's 2:2:1:1 by default)."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fuse", help="fuse the scores.npz of several streams (j, b, jm, bm) and report the fused metrics")
    parser.add_argument("scores", nargs="+", help="scores.npz files from `eval --out` or a training run")
    parser.add_argument("--weights", help="comma-separated weights, one per file (default: PYSKL's "
                                          "j:b:jm:bm = 2:2:1:1 when every file names its stream, else equal)")
    parser.add_argument("--out", help="write the fused scores here (.npz)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from action_recognition.features import PYSKL_STREAM_WEIGHTS, fuse_streams
    from action_recognition.training.metrics import classification_report, confusion_matrix
    from action_recognition.training.run_dir import save_scores

    loaded = []
    for path in args.scores:
        try:
            with np.load(path, allow_pickle=False) as f:
                loaded.append({k: f[k] for k in f.files})
        except (OSError, ValueError) as exc:
            print(f"error: {path}: not a scores .npz ({exc})", file=sys.stderr)
            return 2
    first = loaded[0]
    for path, item in zip(args.scores[1:], loaded[1:], strict=True):
        same = (item["scores"].shape == first["scores"].shape
                and np.array_equal(item["labels"], first["labels"]))
        if not same:
            print(f"error: {path} does not cover the same samples/classes as {args.scores[0]}",
                  file=sys.stderr)
            return 2
        if len(item.get("names", [])) and not np.array_equal(item["names"], first["names"]):
            print(f"error: {path} lists its samples in another order than {args.scores[0]}", file=sys.stderr)
            return 2
    streams = [str(item.get("stream", "")) for item in loaded]
    if args.weights:
        weights = [float(w) for w in args.weights.split(",")]
        if len(weights) != len(loaded):
            print(f"error: {len(weights)} weights for {len(loaded)} score files", file=sys.stderr)
            return 2
    elif all(s in PYSKL_STREAM_WEIGHTS for s in streams):
        weights = [PYSKL_STREAM_WEIGHTS[s] for s in streams]
    else:
        weights = [1.0] * len(loaded)
    fused = fuse_streams([item["scores"] for item in loaded], weights)
    labels = first["labels"]
    report = {**classification_report(fused, labels), "weights": weights, "streams": streams,
              "per_stream_top1": [classification_report(i["scores"], labels)["top1"] for i in loaded]}
    print(json.dumps(report, indent=2))
    print(np.array2string(confusion_matrix(fused.argmax(1), labels, fused.shape[1]), max_line_width=200))
    if args.out:
        save_scores(args.out, fused, labels, [str(c) for c in first["classes"]], list(first.get("names", [])),
                    stream="+".join(streams))
    return 0
