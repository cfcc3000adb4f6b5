"""`action-recognition doctor`: report what is installed and whether each part actually loads."""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from action_recognition import __version__, dds_shm, paths


@dataclass
class CheckResult:
    name: str
    ok: bool
    detail: str
    required: bool = True


def _version(module_name: str, dist_name: str | None = None) -> str:
    importlib.import_module(module_name)  # proves it imports, not only that it is installed
    return importlib.metadata.version(dist_name or module_name)


def check_rclpy() -> str:
    import rclpy

    # A context init/shutdown proves the RMW library loads, not only the Python wrapper.
    context = rclpy.Context()
    rclpy.init(context=context, args=[])
    try:
        from rclpy.utilities import get_rmw_implementation_identifier

        rmw = get_rmw_implementation_identifier()
    finally:
        rclpy.shutdown(context=context)
    distro = os.environ.get("ROS_DISTRO", "wheels")
    return f"rmw {rmw}, ROS_DISTRO {distro}"


def check_messages() -> str:
    from rclpy.serialization import deserialize_message, serialize_message

    from action_recognition.msg import ActionArray, LabelMap, SkeletonArray

    for msg_type in (SkeletonArray, ActionArray, LabelMap):
        if not isinstance(deserialize_message(serialize_message(msg_type()), msg_type), msg_type):
            raise RuntimeError(f"{msg_type.__name__} did not round-trip")
    return "SkeletonArray, ActionArray, LabelMap serialise"


def check_torch() -> str:
    import torch

    cuda = (
        f"cuda {torch.version.cuda} ({torch.cuda.device_count()} GPUs)"
        if torch.cuda.is_available()
        else "no GPU"
    )
    return f"torch {torch.__version__}, {cuda}, {torch.get_num_threads()} threads"


def check_ultralytics() -> str:
    from action_recognition.pose import ultralytics_env

    ultralytics_env.prepare()  # offline, settings under our own config folder, before the import
    return f"ultralytics {_version('ultralytics', 'ultralytics-opencv-headless')}"


def check_pose_weights() -> str:
    weights = paths.default_pose_weights()
    if not weights.is_file():
        raise FileNotFoundError(f"{weights} missing: run ./install.sh")
    from action_recognition.pose import ultralytics_env

    ultralytics_env.prepare()
    from ultralytics import YOLO

    model = YOLO(str(weights), task="pose")
    kpt_shape = model.model.yaml.get("kpt_shape") if hasattr(model.model, "yaml") else None
    return f"{weights.name} loads, kpt_shape {kpt_shape}"


def check_demo_video() -> str:
    video = paths.demo_video()
    if not video.is_file():
        raise FileNotFoundError(f"{video} missing: run ./install.sh")
    return f"{video} ({video.stat().st_size / 1e6:.1f} MB)"


CHECKS: tuple[tuple[str, Callable[[], str], bool], ...] = (
    ("rclpy", check_rclpy, True),
    ("messages", check_messages, True),
    ("torch", check_torch, True),
    ("onnxruntime", lambda: f"onnxruntime {_version('onnxruntime')}", True),
    ("rosbags", lambda: f"rosbags {_version('rosbags')}", True),
    ("ultralytics", check_ultralytics, True),
    ("pose weights", check_pose_weights, True),
    ("demo video", check_demo_video, True),
)


def run_checks() -> list[CheckResult]:
    results = []
    for name, check, required in CHECKS:
        try:
            results.append(CheckResult(name, True, check(), required))
        except Exception as exc:
            results.append(CheckResult(name, False, f"{type(exc).__name__}: {exc}", required))
    return results


def _handle(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    print(f"action_recognition {__version__} (python {sys.version.split()[0]}, {sys.prefix})")
    print(f"data dir:   {paths.data_dir()}")
    print(f"config dir: {paths.config_dir()}")
    results = run_checks()
    width = max(len(r.name) for r in results)
    for r in results:
        print(f"  [{'ok' if r.ok else 'FAIL':>4}] {r.name:<{width}}  {r.detail}")
    print(f"  shared memory: {shm_line(args.clean_shm)}")
    failed = [r.name for r in results if not r.ok and r.required]
    print(f"{len(results) - len(failed)}/{len(results)} checks passed in {time.perf_counter() - start:.1f} s")
    if failed:
        print(f"doctor: failing: {', '.join(failed)}. Rerun ./install.sh; see README 'Troubleshooting'.")
        return 1
    return 0


def shm_line(clean: bool) -> str:
    """Fast DDS segments in /dev/shm: how many are in use and how many dead processes left (RAM)."""
    report = dds_shm.clean_stale_segments(dry_run=not clean)
    mib = report.removed_bytes / 2**20
    if clean:
        return report.line()
    advice = "; `doctor --clean-shm` removes them" if report.removed else ""
    return (f"{report.in_use} Fast DDS segments in use, {len(report.removed)} left by dead processes "
            f"({mib:.1f} MiB of RAM){advice}")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("doctor", help="report what is installed and whether it loads")
    parser.add_argument(
        "--clean-shm",
        action="store_true",
        help="remove the Fast DDS shared-memory segments (/dev/shm) of processes that are dead "
        "(never those of live ones); nodes do this at start too",
    )
    parser.set_defaults(func=_handle)
