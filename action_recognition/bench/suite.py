"""The whole benchmark as one call: pose backends x sizes, action forward, action node per track count."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from action_recognition.bench import machine
from action_recognition.bench.nodes import split_cpus
from action_recognition.model.backends import backend_name

TRACK_LADDER = (1, 5, 10, 20)


@dataclass
class Camera:
    width: int = 640
    height: int = 480
    fps: float = 30.0

    @classmethod
    def parse(cls, text: str) -> Camera:
        """'640x480@30' -> Camera(640, 480, 30.0); ValueError naming the expected form otherwise."""
        m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*@\s*(\d+(?:\.\d+)?)\s*", text)
        if not m or min(int(m[1]), int(m[2])) < 16 or not 0 < float(m[3]) <= 1000:
            raise ValueError(f"camera {text!r}: expected WIDTHxHEIGHT@FPS, e.g. 640x480@30")
        return cls(int(m[1]), int(m[2]), float(m[3]))

    def __str__(self) -> str:
        return f"{self.width}x{self.height}@{self.fps:g}"


@dataclass
class BenchSettings:
    tracks: int = 20  # most tracks tried; the ladder 1, 5, 10, 20 below it is run too
    camera: Camera = field(default_factory=Camera)
    pose_backends: list[str] | None = None  # None = every installed one
    imgsz: list[int] = field(default_factory=lambda: [320, 640])
    pose_frames: int = 60
    action_seconds: float = 6.0
    stride: int = 5  # frames (at the model's rate) between two labels of a track
    model: str | None = None  # action model; None = the shipped default
    pose: bool = True
    action: bool = True
    compare_unspread: bool = False  # also run each track count with the node's spread_rounds off
    pipeline: bool = True  # camera frames -> pose node -> action node -> actions, end to end
    pipeline_seconds: float = 6.0
    precision: str = "fp32"  # the action node's precision (int8: its INT8 export)
    threads: int = 1  # the action node's inference threads
    workers: int = 1  # the action node's inference_workers
    node_cpus: list[int] | None = None  # CPUs of the node under test (default: the first one)
    logs: Path | None = None  # node logs go here (a temporary folder when None)

    def track_counts(self) -> list[int]:
        return sorted({n for n in TRACK_LADDER if n < self.tracks} | {self.tracks})


def run(settings: BenchSettings, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the benchmark; `say` gets one progress line per step. Returns the JSON-ready result."""
    from action_recognition.bench import action, pose

    node_cpus, client_cpus = split_cpus(settings.node_cpus)
    logs = Path(settings.logs or tempfile.mkdtemp(prefix="ar_bench_"))
    logs.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "machine": machine.machine_info(),
        "settings": {**asdict(settings), "camera": str(settings.camera), "rate_hz": settings.camera.fps,
                     "logs": str(logs), "node_cpus": sorted(node_cpus), "client_cpus": sorted(client_cpus)},
    }
    if settings.pose:
        result["pose"] = []
        cam = settings.camera
        frames = pose.camera_frames(cam.width, cam.height, settings.pose_frames)
        for backend in settings.pose_backends or pose.installed_backends():
            for imgsz in settings.imgsz:
                say(f"pose {backend} imgsz {imgsz}: bare backend, estimator and pose node in turn ...")
                row: dict[str, Any] = {"backend": backend, "imgsz": imgsz}
                row.update(pose.compare(backend, imgsz, frames, node_cpus, client_cpus,
                                        log=logs / f"pose_{backend}_{imgsz}.log"))
                result["pose"].append(row)
    if settings.action:
        say("action model forward per batch size ...")
        forward = action.ForwardTable(settings.model, node_cpus, settings.precision, settings.threads,
                                      settings.workers)
        runs = []
        for n in settings.track_counts():
            for spread in (True, False) if settings.compare_unspread else (True,):
                say(f"action node, {n} track(s) at {settings.camera.fps:g} Hz, {settings.action_seconds:g} s"
                    f"{'' if spread else ', rounds not spread'} ...")
                spec = action.ActionRun(n, settings.camera.fps, settings.action_seconds, settings.stride,
                                        spread, settings.precision, settings.threads, settings.workers)
                runs.append(action.run_node(spec, settings.model, forward, node_cpus, client_cpus,
                                            log=logs / f"action_{n}_{'spread' if spread else 'all'}.log"))
        sustained = [r["tracks"] for r in runs if r["sustained"] and r["spread_rounds"]]
        result["action"] = {
            "model": str(forward.model.path),
            "backend": backend_name(forward.model.backend),
            "precision": settings.precision,
            "threads": settings.threads,
            "workers": settings.workers,
            "forward_ms_per_track": forward.per_track(),
            "forward_ms_by_batch": {str(b): ms for b, ms in forward.measured().items()},
            "runs": runs,
            "max_tracks_sustained": max(sustained) if sustained else 0,
            "tracks_one_core_cpu_estimate": action.tracks_one_core(
                runs, forward.cpu(4) / 4, settings.camera.fps, settings.stride),
        }
    if settings.pipeline:
        from action_recognition.bench.pipeline import run_pipeline
        from action_recognition.pose.estimator import PoseConfig, resolve_backend

        backend = resolve_backend(PoseConfig(backend="auto"))
        cam, imgsz = settings.camera, settings.imgsz[0]
        say(f"pipeline: camera frames -> pose node ({backend}, imgsz {imgsz}) -> action node ...")
        frames = pose.camera_frames(cam.width, cam.height, max(1, round(settings.pipeline_seconds * cam.fps)))
        result["pipeline"] = run_pipeline(backend, imgsz, frames, cam.fps, node_cpus, client_cpus, logs)
    result["load_1m_at_end"] = machine.load_now()
    return result
