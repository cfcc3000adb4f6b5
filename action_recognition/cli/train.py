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
    parser.add_argument("--print-config", action="store_true", help="print the resolved config and exit")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from action_recognition.training.config import ConfigError, load_config

    try:
        cfg = load_config(args.config, args.overrides)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    if args.print_config:
        print(yaml.safe_dump(cfg.to_dict(), sort_keys=False), end="")
        return 0
    from action_recognition.model.checkpoint import CheckpointError
    from action_recognition.training.trainer import train

    try:
        result = train(cfg)
    except (ConfigError, CheckpointError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if result.get("test") is not None:
        print(json.dumps({"work_dir": result["work_dir"], "test": result["test"]}, indent=2))
    return 0
