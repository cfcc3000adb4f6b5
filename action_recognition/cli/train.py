"""`action-recognition train --config <yaml> [key=value ...]`: train ST-GCN++ (torchrun-ready)."""

from __future__ import annotations

import argparse
import json
import sys

import yaml


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train", help="train ST-GCN++ on PYSKL-format skeleton data (YAML config + key=value overrides)",
        description="Train ST-GCN++ with PYSKL's recipe. Several GPUs (or CPU processes): "
                    "torchrun --nproc_per_node N $(which action-recognition) train --config ...",
        epilog="examples: action-recognition train --config training/configs/stgcnpp_coco_synth.yaml "
               "epochs=2 batch_size=8 | ... data.feats=[b] optim.lr=0.05 resume=auto")
    parser.add_argument("--config", help="YAML config (default: PYSKL's recipe, needs data.file=...)")
    parser.add_argument("overrides", nargs="*", metavar="key=value",
                        help="dotted config fields, values in YAML syntax (optim.lr=0.05 data.feats=[j,b])")
    parser.add_argument("--seeds", metavar="S[,S...]",
                        help="train once per seed, one after another, each into <work_dir>_s<seed> (the "
                             "members of an ensemble: model/ensemble.py, training/package_model.py)")
    parser.add_argument("--print-config", action="store_true", help="print the resolved config and exit")
    parser.set_defaults(func=run)


def parse_seeds(text: str | None) -> list[int] | None:
    """'0,1,2' -> [0, 1, 2]; ValueError for anything but distinct non-negative integers."""
    if text is None:
        return None
    seeds = [int(x) for x in text.split(",") if x.strip()]
    if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
        raise ValueError
    return seeds


def run(args: argparse.Namespace) -> int:
    from action_recognition.training.config import ConfigError, load_config

    try:
        seeds = parse_seeds(args.seeds)
    except ValueError:
        print(f"error: --seeds {args.seeds!r}: write distinct non-negative integers separated by commas, "
              "e.g. 0,1,2", file=sys.stderr)
        return 2
    try:
        base = load_config(args.config, args.overrides)
        configs = [base] if seeds is None else [
            load_config(args.config, [*args.overrides, f"seed={s}", f"work_dir={base.work_dir}_s{s}"])
            for s in seeds]
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    if args.print_config:
        print("---\n".join(yaml.safe_dump(c.to_dict(), sort_keys=False) for c in configs), end="")
        return 0
    from action_recognition.model.checkpoint import CheckpointError
    from action_recognition.training.distill import TeacherError
    from action_recognition.training.trainer import train

    for cfg in configs:
        try:
            result = train(cfg)
        except (ConfigError, CheckpointError, TeacherError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if result.get("test") is not None:
            print(json.dumps({"work_dir": result["work_dir"], "test": result["test"]}, indent=2))
    return 0
