"""Video in, annotated video + per-frame results out: pose, tracking and ST-GCN++ without ROS.

The same classes as the nodes: PoseEstimator (pose node), ActionRecognizer + load_action_model
(action node), draw_poses (the pose node's debug image). Every frame is processed (no drops, unlike
a live camera); stamps are the frames' media times, and each track is resampled by them to the action
model's frame rate, so a 10 fps phone clip and a 60 fps one get windows of the same length in seconds.
Each person's label is the latest result for their track, updated every `stride_s` seconds of video
as the window slides.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2

from action_recognition.pose.draw import draw_poses
from action_recognition.pose.estimator import PoseConfig, PoseEstimator
from action_recognition.pose.video_source import VideoSource, VideoSourceError
from action_recognition.recognition import PersonFrame, RecognizerConfig, load_action_model
from action_recognition.recognition.recognizer import ActionRecognizer

MIN_FRAME_SIDE = 2  # pixels; mp4v refuses 1x1 frames


class VideoToolError(RuntimeError):
    """Bad input/output paths or a pose model and action model that do not fit together."""


@dataclass
class VideoToolConfig:
    pose_model: str | None = None  # None = installed yolo11n-pose
    action_model: str | None = None  # None = the shipped default action model
    label_map: str | None = None  # label file for a model without class names
    layout: str | None = None  # skeleton layout of the pose model and a PYSKL checkpoint; None = the model's
    det_score_thr: float = 0.25  # minimum person detection confidence
    imgsz: int = 640
    device: str = "cpu"
    tracker: str = "bytetrack_robust.yaml"  # the pose node's default (config/trackers/)
    stride_s: float = 0.167  # seconds of video between two labels of a person
    window_s: float = 0.0  # seconds per person; 0 = the model's window
    score_threshold: float = 0.0
    smoothing: float = 0.0
    max_frames: int = 0  # 0 = the whole video
    fourcc: str = "mp4v"


@dataclass
class VideoResult:
    input: str
    output: str
    json_path: str
    csv_path: str | None
    fps: float
    frames: int
    frames_with_people: int
    tracks: list[int]
    label_counts: dict[str, int]  # results per label over the video
    wall_s: float
    unchanged: bool  # nobody found: the output is the input, untouched
    model: dict[str, Any] = field(default_factory=dict)
    frames_declared: int = 0  # the container's frame count (0 = unknown)
    frames_missing: int = 0  # declared but not decodable: a truncated or corrupt file (see ShortPass)


def _person_rows(frame_index: int, t: float, persons: list[Any], current: dict[int, tuple[str, float, int]],
                 updated: set[int]) -> list[dict[str, Any]]:
    rows = []
    for p in persons:
        label, score, _ = current.get(p.track_id, ("", 0.0, -1))
        rows.append({
            "frame": frame_index, "time_s": round(t, 4), "track_id": int(p.track_id),
            "bbox": [round(float(v), 1) for v in p.bbox], "bbox_score": round(float(p.bbox_score), 3),
            "label": label, "score": round(score, 4), "updated": p.track_id in updated,
        })
    return rows


def run_video(
    input_path: str | Path,
    output_path: str | Path,
    config: VideoToolConfig | None = None,
    json_path: str | Path | None = None,
    csv_path: str | Path | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> VideoResult:
    """Annotate `input_path` into `output_path`; per-frame results to JSON (and CSV). See module doc."""
    import time

    c = config or VideoToolConfig()
    input_path, output_path = Path(input_path), Path(output_path)
    if output_path.resolve() == input_path.resolve():
        raise VideoToolError("OUTPUT must differ from INPUT")
    json_path = Path(json_path) if json_path else output_path.with_suffix(".json")
    csv_path = Path(csv_path) if csv_path else None
    try:
        source = VideoSource(input_path)
    except VideoSourceError as exc:
        raise VideoToolError(str(exc)) from exc
    if source.is_camera:
        raise VideoToolError("INPUT must be a video file")
    if min(source.width, source.height) < MIN_FRAME_SIDE:  # MPEG-4 cannot encode it, and no person fits
        source.close()
        raise VideoToolError(
            f"{input_path}: frames are {source.width}x{source.height} pixels; too small to show a person "
            f"(and below the {MIN_FRAME_SIDE}x{MIN_FRAME_SIDE} the output codec can encode)"
        )

    model = load_action_model(c.action_model, c.label_map, c.layout, c.device)
    layout = model.spec.skeleton().name
    if c.layout and c.layout != layout:  # a custom layout file names itself differently
        raise VideoToolError(f"the action model's layout is {layout!r}, not {c.layout!r}")
    recognizer = ActionRecognizer(
        model.backend, model.spec, model.labels,
        RecognizerConfig(window_s=c.window_s, stride_s=c.stride_s, score_threshold=c.score_threshold,
                         smoothing=c.smoothing),
    )
    estimator = PoseEstimator(PoseConfig(model=c.pose_model, layout=layout, device=c.device, imgsz=c.imgsz,
                                         conf=c.det_score_thr, tracker=c.tracker))
    edges = tuple(model.spec.skeleton().edges)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(output_path), cv2.VideoWriter_fourcc(*c.fourcc), source.fps,
                             (source.width, source.height))
    if not writer.isOpened():
        size = f"{source.width}x{source.height} at {source.fps:g} fps"
        raise VideoToolError(f"cannot write {output_path} ({size}) with codec {c.fourcc!r}")

    total = min(source.frame_count, c.max_frames) if c.max_frames else source.frame_count
    current: dict[int, tuple[str, float, int]] = {}  # track -> (label, score, frame of the result)
    frames: list[dict[str, Any]] = []
    label_counts: dict[str, int] = {}
    tracks: set[int] = set()
    with_people = 0
    start = time.monotonic()
    from tqdm import tqdm

    bar = tqdm(total=total or None, unit="frame", desc=input_path.name, disable=not progress)
    try:
        for frame in source:
            if c.max_frames and frame.index >= c.max_frames:
                break
            pose = estimator.process(frame.image, stamp=frame.timestamp)  # media time: gaps as they are
            stamp = round(frame.timestamp * 1e9)
            people = [PersonFrame(p.track_id, p.keypoints[:, :2], p.keypoints[:, 2]) for p in pose.persons]
            recognizer.add_frame(stamp, people, (pose.width, pose.height))
            updated = set()
            for r in recognizer.step():
                current[r.track_id] = (r.label, r.score, frame.index)
                label_counts[r.label] = label_counts.get(r.label, 0) + 1
                updated.add(r.track_id)
            visible = {p.track_id for p in pose.persons}
            labels = {tid: f"{lab} {score:.2f}" for tid, (lab, score, _) in current.items() if tid in visible}
            writer.write(draw_poses(frame.image, pose.persons, edges, labels, copy=False))
            tracks |= visible
            with_people += bool(pose.persons)
            rows = _person_rows(frame.index, frame.timestamp, pose.persons, current, updated)
            frames.append({"frame": frame.index, "time_s": round(frame.timestamp, 4), "persons": rows})
            bar.update(1)
    finally:
        bar.close()
        writer.release()
        source.close()
    wall = time.monotonic() - start
    # A file cut short decodes fine up to the cut, then ends as if complete: compare with the
    # container's declared frame count, so partial output is never mistaken for the whole video.
    short = source.short_pass if not (c.max_frames and len(frames) >= c.max_frames) else None
    if short is not None:
        log(f"warning: {short.describe(input_path)}; the output covers the {short.decoded} decoded frames")

    unchanged = False
    if not tracks:
        # Nobody in it: hand back the input itself rather than a re-encoded copy (same container only).
        if output_path.suffix.lower() == input_path.suffix.lower() and not c.max_frames:
            shutil.copyfile(input_path, output_path)
            unchanged = True
        log(f"nobody was detected in the {len(frames)} frames of {input_path}; "
            + ("the output is the input, unchanged" if unchanged else "the output shows the input frames"))

    result = VideoResult(
        input=str(input_path), output=str(output_path), json_path=str(json_path),
        csv_path=str(csv_path) if csv_path else None, fps=source.fps, frames=len(frames),
        frames_with_people=with_people, tracks=sorted(tracks), label_counts=label_counts,
        wall_s=round(wall, 2),
        unchanged=unchanged,
        frames_declared=source.frame_count, frames_missing=short.missing if short else 0,
        model={"action_model": str(model.path), "labels": model.labels, "layout": layout,
               "pose_model": str(estimator.model_path), "imgsz": c.imgsz,
               "model_fps": recognizer.config.fps,
               "stride_s": round(recognizer.config.stride / recognizer.config.fps, 3),
               "window_s": round(recognizer.config.window / recognizer.config.fps, 3)},
    )
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps({"summary": asdict(result), "frames": frames}))
    if csv_path is not None:
        _write_csv(csv_path, frames)
    return result


def _write_csv(path: Path, frames: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = ["frame", "time_s", "track_id", "x1", "y1", "x2", "y2", "bbox_score", "label", "score",
               "updated"]
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for fr in frames:
            for p in fr["persons"]:
                w.writerow([p["frame"], p["time_s"], p["track_id"], *p["bbox"], p["bbox_score"], p["label"],
                            p["score"], int(p["updated"])])
