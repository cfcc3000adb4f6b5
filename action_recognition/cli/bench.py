"""`action-recognition bench`: what this machine sustains: pose per backend and size, action per track,
tracks kept up with at a camera rate, latency frame -> action, memory per node. Writes JSON.

Each measurement runs the real components (Ultralytics, ONNX Runtime, node processes over DDS) with the
node under test pinned to one core. Run it on an otherwise idle machine; the load is recorded.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench", help="measure pose and action speed, latency and memory on this machine (JSON for releases)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracks", type=int, default=20,
                        help="most people tried at once (1, 5, 10, 20 below it too; default 20)")
    parser.add_argument("--camera", default="640x480@30", help="camera WIDTHxHEIGHT@FPS (default 640x480@30)")
    parser.add_argument("--json", type=Path, help="write the results to this JSON file")
    parser.add_argument("--backends", help="pose backends, comma-separated (default: every installed one)")
    parser.add_argument("--imgsz", default="320,640",
                        help="pose image sizes, comma-separated (default: 320,640)")
    parser.add_argument("--pose-frames", type=int, default=60, help="frames per pose case (default 60)")
    parser.add_argument("--seconds", type=float, default=6.0,
                        help="seconds of input per action-node run after the windows fill (default 6)")
    parser.add_argument("--stride", type=int, default=5,
                        help="frames (at the model's rate) between two labels of a track (default 5)")
    parser.add_argument("--model", help="action model (default: the shipped one)")
    parser.add_argument("--precision", choices=("fp32", "int8"), default="fp32",
                        help="the action node's precision (int8: its INT8 export; default fp32)")
    parser.add_argument("--threads", type=int, default=1,
                        help="the action node's inference threads (default 1)")
    parser.add_argument("--workers", type=int, default=1,
                        help="the action node's inference_workers: sessions a batch is split across "
                             "(default 1)")
    parser.add_argument("--node-cpus",
                        help="CPU ids for the node under test, comma-separated (default: the first CPU; the "
                             "bench's client gets the others, or shares the node's)")
    parser.add_argument("--compare-unspread", action="store_true",
                        help="also run each track count with the action node's spread_rounds:=false")
    parser.add_argument("--skip-pose", action="store_true", help="no pose backend comparison")
    parser.add_argument("--skip-action", action="store_true", help="no action-node runs")
    parser.add_argument("--skip-pipeline", action="store_true",
                        help="no end-to-end run (camera frames -> pose node -> action node)")
    parser.add_argument("--logs", type=Path, help="folder for the nodes' logs (default: a temporary one)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from action_recognition.bench.nodes import dds_env
    from action_recognition.bench.suite import BenchSettings, Camera

    try:
        camera = Camera.parse(args.camera)
        imgsz = [int(s) for s in args.imgsz.split(",") if s.strip()]
        node_cpus = [int(s) for s in args.node_cpus.split(",") if s.strip()] if args.node_cpus else None
        if node_cpus and not set(node_cpus) <= os.sched_getaffinity(0):
            raise ValueError(f"--node-cpus {args.node_cpus}: CPUs available here are "
                             f"{sorted(os.sched_getaffinity(0))}")
    except ValueError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    if args.tracks < 1 or args.pose_frames < 1 or args.seconds <= 0 or args.stride < 1 or args.threads < 1 \
            or args.workers < 1:
        print("bench: --tracks, --pose-frames, --seconds, --stride, --threads and --workers must be positive",
              file=sys.stderr)
        return 2
    os.environ.update(dds_env())  # before rclpy is imported: loopback, own domain, shared memory
    from action_recognition.bench import report, suite

    settings = BenchSettings(
        tracks=args.tracks, camera=camera,
        pose_backends=[b.strip() for b in args.backends.split(",")] if args.backends else None,
        imgsz=imgsz, pose_frames=args.pose_frames, action_seconds=args.seconds, stride=args.stride,
        model=args.model, compare_unspread=args.compare_unspread, pose=not args.skip_pose,
        action=not args.skip_action, pipeline=not args.skip_pipeline,
        pipeline_seconds=min(max(args.seconds, 3.0), 8.0), logs=args.logs, precision=args.precision,
        threads=args.threads, workers=args.workers, node_cpus=node_cpus)
    result = suite.run(settings, say=lambda line: print(line, file=sys.stderr, flush=True))
    print(report.markdown(result))
    if args.json:
        print(f"wrote {report.write_json(result, args.json)}", file=sys.stderr)
    return 0
