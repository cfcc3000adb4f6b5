"""`action-recognition echo`: print /actions as they arrive, one readable line per person.

For machines without `ros2 topic echo`. `--json` prints each ActionArray as one JSON line instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("echo", help="print the actions of each person as they arrive on /actions")
    parser.add_argument("--topic", default="/actions", help="ActionArray topic (default: /actions)")
    parser.add_argument("--count", type=int, default=0,
                        help="exit after this many messages; 0 = run until Ctrl-C")
    parser.add_argument("--timeout", type=float, default=0.0,
                        help="exit with status 1 after this many seconds without a message; 0 = wait")
    parser.add_argument("--json", action="store_true", help="one JSON object per message (all fields)")
    parser.add_argument("--nobody", action="store_true",
                        help="also print a line for every empty message (frames with nobody in them)")
    parser.set_defaults(func=run)


def stamp_seconds(stamp: Any) -> float:
    return stamp.sec + stamp.nanosec * 1e-9


def format_action(action: Any) -> str:
    """'id   3  walk           0.91  (48 frames)  box 120,40-260,400'; an unknown (below threshold) label
    shows its best score; the box (Action.bbox, pixels) is left out when it is not set (all zeros)."""
    text = f"id {action.track_id:>3}  {action.label:<14} {action.score:.2f}  ({action.num_frames} frames)"
    box = [round(float(c)) for c in getattr(action, "bbox", ())]
    if any(box):
        text += f"  box {box[0]},{box[1]}-{box[2]},{box[3]}"
    return text


def format_actions(msg: Any, time_text: str) -> list[str]:
    """One line per person of an ActionArray, each starting with `time_text`; [] for an empty one."""
    return [f"{time_text}  {format_action(a)}" for a in sorted(msg.actions, key=lambda a: a.track_id)]


def run(args: argparse.Namespace) -> int:
    import rclpy
    from rclpy.executors import ExternalShutdownException

    from action_recognition import dds_shm
    from action_recognition.msg import ActionArray
    from action_recognition.nodes.message_dict import message_to_dict

    # Like a node's start: segments of killed processes (/dev/shm) would otherwise pile up.
    dds_shm.clean_quietly(lambda line: print(line, file=sys.stderr))
    rclpy.init(args=[])
    node = rclpy.create_node("action_echo")
    state = {"count": 0, "last": time.monotonic(), "was_empty": False}

    def on_actions(msg: ActionArray) -> None:
        state["count"] += 1
        state["last"] = time.monotonic()
        if args.json:
            print(json.dumps(message_to_dict(msg)), flush=True)
            return
        stamp = f"{stamp_seconds(msg.header.stamp):.3f}"
        if not msg.actions:
            # Empty arrays come for every frame with nobody: print the change, not each frame.
            if args.nobody or not state["was_empty"]:
                print(f"{stamp}  (nobody)", flush=True)
            state["was_empty"] = True
            return
        state["was_empty"] = False
        print("\n".join(format_actions(msg, stamp)), flush=True)

    node.create_subscription(ActionArray, args.topic, on_actions, 10)
    print(f"listening on {node.resolve_topic_name(args.topic)} (Ctrl-C to stop)", file=sys.stderr, flush=True)
    code = 0
    try:
        while rclpy.ok():
            rclpy.spin_once(node, timeout_sec=0.1)
            if args.count and state["count"] >= args.count:
                break
            if args.timeout and time.monotonic() - state["last"] > args.timeout:
                print(f"no message on {args.topic} for {args.timeout:g} s", file=sys.stderr)
                code = 1
                break
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
    return code
