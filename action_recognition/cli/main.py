"""Entry point of the `action-recognition` console script.

Each subcommand lives in its own module of this package exposing
`register(subparsers) -> None`; the module adds its parser and sets `func=handler` where
`handler(args) -> int` returns the exit status. Modules are imported lazily by name so that a
broken optional dependency of one subcommand never breaks the others.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from action_recognition import __version__

# Subcommand modules, in help order.
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "doctor", "data", "train", "eval", "fuse", "export", "launch", "echo", "video", "bag", "bench",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="action-recognition",
        description="Skeleton-based human action recognition (YOLO pose + ST-GCN++) for ROS 2.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        module = importlib.import_module(f"action_recognition.cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
