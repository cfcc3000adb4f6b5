"""`action-recognition export`: checkpoint -> ONNX (spec in its metadata) + a parity check."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("export", help="export a checkpoint to ONNX and check it against PyTorch")
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--out", help="output .onnx (default: next to the checkpoint)")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--no-fuse", action="store_true", help="export the unfused (training) graph")
    parser.add_argument("--atol", type=float, default=1e-4, help="parity tolerance on the logits")
    parser.add_argument("--layout", help="layout for checkpoints without a stored spec")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from action_recognition.model import CheckpointError, check_onnx_parity, export_onnx, load_checkpoint
    from action_recognition.model.ensemble import is_ensemble_file

    if is_ensemble_file(args.checkpoint):
        print(f"error: {args.checkpoint} is an ensemble (model/ensemble.py): export each of its members, "
              "then list the .onnx files as the members of a new ensemble file", file=sys.stderr)
        return 2
    overrides = {"layout": args.layout} if args.layout else {}
    try:
        ckpt = load_checkpoint(args.checkpoint, **overrides)
    except (CheckpointError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else Path(args.checkpoint).with_suffix(".onnx")
    export_onnx(ckpt.model, out, spec=ckpt.spec, fused=not args.no_fuse, opset=args.opset,
                example_frames=ckpt.spec.clip_len)
    t = ckpt.spec.clip_len
    try:
        diff = check_onnx_parity(ckpt.model, out, shapes=((1, ckpt.spec.num_person, t), (3, 2, t + 7)),
                                 atol=args.atol)
    except AssertionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB); parity with PyTorch: max |diff| {diff:.2e} "
          f"< {args.atol:g}")
    return 0
