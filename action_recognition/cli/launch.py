"""`action-recognition launch NAME [name:=value ...]`: start a pipeline without ROS 2 `launch`.

The nodes, parameters and remappings are those of `launch/NAME.launch.py` (both read
action_recognition.launching.description). `--show` prints the arguments and the node commands.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from action_recognition.launching.description import PIPELINES, LaunchArgumentError, parse_assignments


def register(subparsers: argparse._SubParsersAction) -> None:
    names = "\n".join(f"  {p.name:<9} {p.summary}" for p in PIPELINES.values())
    parser = subparsers.add_parser(
        "launch",
        help="start a pipeline's nodes (like ros2 launch; `launch demo` runs the demo)",
        description="Start the nodes of a pipeline as separate processes, with the parameters and "
        "remappings of launch/NAME.launch.py. Runs until Ctrl-C (demo: until the video ends); exits 0 "
        f"on a clean stop, non-zero when a node died.\n\npipelines:\n{names}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("name", choices=list(PIPELINES), metavar="NAME", help="pipeline to start")
    parser.add_argument("assignments", nargs="*", metavar="name:=value", help="launch arguments")
    parser.add_argument("--show", action="store_true",
                        help="print the arguments and node commands, start nothing (put it before NAME)")
    parser.set_defaults(func=run)


def show(name: str, assignments: dict[str, str]) -> str:
    from action_recognition.launching.description import get_pipeline, plan
    from action_recognition.launching.launcher import node_argv

    lines = [f"{name}: {get_pipeline(name).summary}", "arguments:"]
    given = plan(name, assignments).arguments
    for a in get_pipeline(name).arguments():
        choices = f" ({'|'.join(a.choices)})" if a.choices else ""
        lines.append(f"  {a.name}:={given[a.name]!r}{choices}  {a.description}")
    lines.append("nodes:")
    p = plan(name, assignments)
    for node in p.nodes:
        argv = node_argv(node, Path(f"<{node.name}.params.yaml>"), python="python")
        lines.append(f"  {node.name}: {' '.join(argv)}")
        lines += [f"      {k}: {v!r}" for k, v in node.parameters.items()]
    lines.append("environment: " + " ".join(f"{k}={v}" for k, v in p.env.items()))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from action_recognition.launching.description import plan
    from action_recognition.launching.launcher import launch

    try:
        assignments = parse_assignments(args.assignments)
        if args.show:
            print(show(args.name, assignments))
            return 0
        p = plan(args.name, assignments)
    except LaunchArgumentError as exc:
        print(f"action-recognition launch: {exc}")
        return 2
    return launch(p)
