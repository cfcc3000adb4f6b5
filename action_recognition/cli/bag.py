"""`action-recognition bag make|play|eval|info`: evaluation bags (rosbag2), replay, replay evaluation."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path


def _make(args: argparse.Namespace) -> int:
    from action_recognition.bag.ground_truth import AnnotationError
    from action_recognition.bag.io import BagError
    from action_recognition.bag.make import make_skeleton_bag, make_video_bag

    if Path(args.out).exists():
        print(f"error: {args.out} exists; rosbag2 bags are never overwritten", file=sys.stderr)
        return 2
    try:
        if args.dataset:
            from action_recognition.data.format import DatasetError, load_dataset, split_samples

            try:
                data = load_dataset(args.dataset, unsafe_pickle=args.unsafe_pickle)
                samples = split_samples(data, args.split)
            except DatasetError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            samples = samples[: args.limit] if args.limit else samples
            info = make_skeleton_bag(
                data,
                samples,
                args.out,
                storage=args.storage,
                topic=args.topic or "/skeletons",
                gt_topic=args.gt_topic,
                gap_s=args.gap,
            )
        else:
            classes = [c.strip() for c in args.classes.split(",")] if args.classes else None
            info = make_video_bag(
                args.video,
                args.out,
                label=args.label,
                annotations=args.annotations,
                classes=classes,
                storage=args.storage,
                topic=args.topic or "/camera/image_raw",
                gt_topic=args.gt_topic,
                width=args.width,
                max_frames=args.max_frames,
            )
    except (AnnotationError, BagError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out} ({args.storage}): {json.dumps(info)}")
    return 0


def _info(args: argparse.Namespace) -> int:
    from action_recognition.bag.io import BagError, read_summary

    try:
        s = read_summary(args.bag)
    except BagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    info = {
        "storage": s.storage,
        "duration_s": round(s.duration_s, 3),
        "start_ns": s.start_ns,
        "topics": {t: {"type": ty, "count": s.counts.get(t, 0)} for t, ty in s.topics.items()},
        "ground_truth_segments": len(s.ground_truth),
        "classes": s.classes,
    }
    print(json.dumps(info, indent=2))
    return 0


def _play(args: argparse.Namespace) -> int:
    import rclpy
    from rclpy.signals import SignalHandlerOptions

    from action_recognition import dds_shm
    from action_recognition.bag.player import Player, PlayOptions, parse_remaps

    try:
        opts = PlayOptions(
            rate=args.rate,
            loop=args.loop,
            topics=args.topics,
            remap=parse_remaps(args.remap),
            shift_stamps=not args.no_shift,
            qos_depth=args.qos_depth,
            wait_for_subscribers=args.wait_for_subscribers,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # Our own SIGINT/SIGTERM handling: either signal ends the replay at the next message, the player
    # waits for delivery and we print the summary. rclpy's handler would shut the context down under
    # the publisher instead, and Python's default SIGTERM ends the process silently (exit 143).
    # Like a node's start: segments of killed processes (/dev/shm) would otherwise pile up.
    dds_shm.clean_quietly(lambda line: print(line, file=sys.stderr))
    rclpy.init(args=[], signal_handler_options=SignalHandlerOptions.NO)
    node = rclpy.create_node("bag_player")
    player = Player(node, args.bag, opts)
    stopped_by: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        stopped_by.append(signum)
        player.stop()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        stats = player.run()
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
        for s, h in previous.items():
            signal.signal(s, h)
    timing = sorted(abs(e) for e in stats.timing_error_ms)
    p95 = timing[int(0.95 * (len(timing) - 1))] if timing else float("nan")
    print(
        json.dumps(
            {
                "sent": stats.sent,
                "passes": stats.passes,
                "interrupted": stats.interrupted,
                "skipped_types": stats.skipped_types,
                "wall_s": round(stats.wall_s, 3),
                "timing_error_ms_p95": round(p95, 3),
                "error": stats.error,
                "unacknowledged": stats.unacked_topics,
                "stopped_by": signal.Signals(stopped_by[0]).name if stopped_by else None,
            }
        ),
        flush=True,
    )
    if stats.error:
        print(f"error: {stats.error}", file=sys.stderr)
        return 2
    if stopped_by:  # the shell's convention for "ended by signal N", after a clean summary
        return 128 + stopped_by[0]
    return 130 if stats.interrupted else 0


def _eval(args: argparse.Namespace) -> int:
    from action_recognition.bag.evaluate import EXIT_ERROR, EvalOptions, evaluate
    from action_recognition.bag.io import BagError

    out = Path(args.out) if args.out else Path(args.bag).with_name(Path(args.bag).name + "_eval")
    opts = EvalOptions(
        launch=args.launch,
        rate=args.rate,
        action_model=args.action_model,
        launch_args=args.launch_arg,
        namespace=args.namespace,
        input_topic=args.input_topic,
        startup_timeout_s=args.startup_timeout,
        drain_s=args.drain,
        min_accuracy=args.min_accuracy,
        max_latency_ms=args.max_latency_ms,
        use_launcher=False if args.direct else None,
        log=lambda line: print(line, flush=True),
    )
    try:
        report, code = evaluate(args.bag, out, opts)
    except (BagError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    acc, lat, msgs = report["accuracy"], report["latency_ms"], report["messages"]
    top1 = "n/a (no ground truth)" if acc is None else f"{acc['top1']}"
    print(
        f"top-1 {top1}; latency p50 {lat['p50']} p95 {lat['p95']} ms; sent {msgs['sent']} "
        f"received {msgs['received_by_pipeline']} dropped {msgs['dropped']}; report {out}/report.md"
    )
    for err in report["errors"]:
        print(f"error: {err}", file=sys.stderr)
    for name, gate in report["thresholds"].items():
        if not gate["ok"]:
            print(f"FAILED {name}: {gate['value']} vs limit {gate['limit']}", file=sys.stderr)
    return code


def register(subparsers: argparse._SubParsersAction) -> None:
    bag = subparsers.add_parser("bag", help="rosbag2 evaluation bags: make, play, eval, info")
    sub = bag.add_subparsers(dest="bag_command", metavar="BAG_COMMAND", required=True)

    make = sub.add_parser("make", help="a labelled video or a PYSKL skeleton data set -> rosbag2 bag")
    src = make.add_mutually_exclusive_group(required=True)
    src.add_argument("--dataset", help="PYSKL .pkl (2D); every sample becomes one labelled track")
    src.add_argument("--video", help="video file -> sensor_msgs/Image (bgr8)")
    make.add_argument("--out", required=True, help="bag folder to create (must not exist)")
    # Equal to bag.make.DEFAULT_STORAGE (not imported here: it pulls in rosbags before --help).
    make.add_argument("--storage", choices=("mcap", "sqlite3"), default="mcap",
                      help="rosbag2 storage (default mcap, rosbag2's default since Iron)")
    make.add_argument("--unsafe-pickle", action="store_true",
                      help="load any pickle as --dataset (pickles run code: trusted files only)")
    make.add_argument("--split", default="test", help="data set split to use (default test)")
    make.add_argument("--limit", type=int, default=0, help="first N samples only")
    make.add_argument("--gap", type=float, default=3.0, help="seconds between samples (> track_timeout)")
    lab = make.add_mutually_exclusive_group()
    lab.add_argument("--label", help="one label for the whole video")
    lab.add_argument("--annotations", help="CSV: start,end,label[,track_id] (s) or frame,label[,track_id]")
    make.add_argument("--classes", help="comma-separated class list (class ids); default: the labels seen")
    make.add_argument("--width", type=int, default=0, help="resize video frames to this width (0 = keep)")
    make.add_argument("--max-frames", type=int, default=0, help="video frames at most (0 = all)")
    make.add_argument("--topic", help="data topic (default /skeletons or /camera/image_raw)")
    make.add_argument("--gt-topic", default="/ground_truth", help="ground-truth topic")
    make.set_defaults(func=_make)

    info = sub.add_parser("info", help="topics, counts, duration and ground truth of a bag")
    info.add_argument("bag")
    info.set_defaults(func=_info)

    play = sub.add_parser("play", help="publish a bag's messages with their recorded timing (rclpy)")
    play.add_argument("bag")
    play.add_argument("--rate", type=float, default=1.0, help="speed factor (2 = twice as fast)")
    play.add_argument("--loop", action="store_true", help="start over at the end until Ctrl-C")
    play.add_argument("--topics", nargs="+", help="only these bag topics")
    play.add_argument("--remap", nargs="+", default=[], metavar="FROM:=TO", help="publish topic FROM as TO")
    play.add_argument("--no-shift", action="store_true", help="keep the recorded header stamps")
    play.add_argument("--qos-depth", type=int, default=10)
    play.add_argument(
        "--wait-for-subscribers",
        type=int,
        default=0,
        metavar="N",
        help="hold the first message until every topic has N subscribers (30 s at most)",
    )
    play.set_defaults(func=_play)

    ev = sub.add_parser("eval", help="replay a bag through the pipeline and report accuracy and latency")
    ev.add_argument("bag")
    ev.add_argument(
        "--launch",
        default="auto",
        choices=("auto", "action", "pipeline", "none"),
        help="what to start: auto = action for skeleton bags, pipeline for image bags; "
        "none = nodes already running in --namespace",
    )
    ev.add_argument("--out", help="report folder (default <bag>_eval)")
    ev.add_argument("--rate", type=float, default=1.0, help="replay speed factor")
    ev.add_argument("--action-model",
                    help="action model (.pth/.onnx/ensemble .yaml); default: the launch default")
    ev.add_argument(
        "--launch-arg",
        action="append",
        default=[],
        metavar="NAME:=VALUE",
        help="extra launch argument (node parameter when the nodes start directly)",
    )
    ev.add_argument(
        "--direct",
        action="store_true",
        help="start the nodes directly, not through `action-recognition launch`; --launch-arg "
        "then sets node parameters (pose_NAME:= for the pose node)",
    )
    ev.add_argument("--namespace", help="namespace of the nodes (default: a fresh one per run)")
    ev.add_argument("--input-topic", help="bag topic to replay (default: its SkeletonArray/Image topic)")
    ev.add_argument("--startup-timeout", type=float, default=120.0, help="seconds for the nodes to come up")
    ev.add_argument("--drain", type=float, default=2.0, help="quiet seconds on /actions that end the run")
    ev.add_argument("--min-accuracy", type=float, help="exit 1 when top-1 per window is below this (0-1)")
    ev.add_argument("--max-latency-ms", type=float, help="exit 1 when latency p95 is above this")
    ev.set_defaults(func=_eval)
