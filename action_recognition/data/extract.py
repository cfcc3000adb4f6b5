"""Videos -> PYSKL data set, with the same pose + tracking code the pose node runs.

Input: a folder whose sub-folders are class names (``root/<class>/<video>``), or a CSV with columns
``video,label[,split]`` (paths relative to the folder). Each video becomes one sample: its best tracks (by
how long and how confidently each person was seen) become the persons, keypoint scores kept. Every
sample is resampled by the frames' media times to ``fps`` (30 by default; 0 keeps the video's frames),
so clips from 10, 25 or 60 fps cameras make one data set at one rate, the rate a model trained on it
records (``data.fps``) and the action node resamples live streams to. Finished videos are cached in
``<out>.parts/``, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import csv
import hashlib
import pickle
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from action_recognition.data import safe_pickle
from action_recognition.data.format import DatasetError, save_dataset

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")


@dataclass
class ExtractConfig:
    model: str | None = None  # pose weights; None = the installed yolo11n-pose
    layout: str = "coco"
    device: str = "cpu"
    imgsz: int = 640
    conf: float = 0.25
    tracker: str = "bytetrack_robust.yaml"  # the pose node's default (config/trackers/)
    max_persons: int = 2  # tracks kept per clip (PYSKL's ST-GCN++ uses 2)
    stride: int = 1  # run the pose model on every stride-th frame (speed); the result is still resampled
    fps: float = 30.0  # frame rate of the samples (resampled by media time); 0 = the used frames as they are
    max_frames: int | None = None  # stop after this many used frames per video
    stitch_gap: int = 30  # join a track that starts within this many frames of where another ended
    extra: dict = field(default_factory=dict)


@dataclass
class VideoItem:
    path: Path
    name: str  # frame_dir: the path relative to the root, without suffix
    label: str
    split: str | None = None


def find_videos(root: str | Path, csv_path: str | Path | None = None) -> list[VideoItem]:
    """The labelled videos under root: by sub-folder, or as listed in a CSV (video,label[,split])."""
    root = Path(root)
    items: list[VideoItem] = []
    if csv_path is not None:
        with Path(csv_path).open(newline="") as f:
            for row in csv.DictReader(f):
                rel = Path(row["video"].strip())
                path = rel if rel.is_absolute() else root / rel
                if not path.is_file():
                    raise FileNotFoundError(f"{csv_path}: video {path} not found")
                name = rel.with_suffix("").as_posix()
                items.append(
                    VideoItem(path, name, row["label"].strip(), (row.get("split") or "").strip() or None)
                )
        return items
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() in VIDEO_SUFFIXES and path.is_file():
            rel = path.relative_to(root)
            if len(rel.parts) < 2:
                raise ValueError(
                    f"{path}: videos must sit in a class sub-folder (root/<class>/<video>) or use --csv"
                )
            items.append(VideoItem(path, rel.with_suffix("").as_posix(), rel.parts[0]))
    return items


def _stitch(tracks: dict[int, dict[int, Any]], gap: int) -> list[dict[int, Any]]:
    """Join fragments of one person split by an id switch: B starts soon after A ends, near where A was."""
    frags = sorted(tracks.values(), key=lambda tr: min(tr))
    merged: list[dict[int, Any]] = []
    for tr in frags:
        start = min(tr)
        box0 = tr[start][1]
        best = None
        for m in merged:
            end = max(m)
            if not 0 < start - end <= gap:
                continue
            _, box1 = m[end]
            size = max(box1[3] - box1[1], 1.0)
            dist = np.linalg.norm((box0[:2] + box0[2:]) / 2 - (box1[:2] + box1[2:]) / 2)
            if dist < 0.75 * size and (best is None or end > max(best)):
                best = m
        if best is None:
            merged.append(dict(tr))
        else:
            best.update(tr)
    return merged


def extract_video(
    estimator: Any, item: VideoItem, cfg: ExtractConfig, tick: Callable[[int], None] | None = None
):
    """One video -> keypoint (M, T, V, 2), keypoint_score (M, T, V), (height, width), fps: its best tracks.

    With cfg.fps, T frames at that rate (resampled by the frames' media times), else the used frames.
    """
    from action_recognition.pose.video_source import VideoSource

    estimator.reset()
    tracks: dict[int, dict[int, tuple[np.ndarray, np.ndarray]]] = {}
    t = 0
    times_ns: list[int] = []  # media time of each used frame
    with VideoSource(item.path) as src:
        fps, shape = src.fps / cfg.stride, (src.height, src.width)
        for frame in src:
            if tick:
                tick(1)
            if frame.index % cfg.stride:
                continue
            if cfg.max_frames is not None and t >= cfg.max_frames:
                break
            for p in estimator.process(frame.image, stamp=frame.timestamp).persons:
                tracks.setdefault(p.track_id, {})[t] = (p.keypoints, p.bbox)
            times_ns.append(round(frame.timestamp * 1e9))
            t += 1
    persons = _stitch(tracks, max(1, cfg.stitch_gap // cfg.stride))
    # Rank people by how much confident evidence they left: sum over frames of the mean keypoint score.
    persons.sort(key=lambda tr: -sum(float(kp[:, 2].mean()) for kp, _ in tr.values()))
    persons = persons[: cfg.max_persons]
    v = estimator.num_keypoints
    m = max(1, len(persons))
    kp = np.zeros((m, max(t, 1), v, 2), np.float32)
    score = np.zeros((m, max(t, 1), v), np.float32)
    for i, tr in enumerate(persons):
        for f, (k, _) in tr.items():
            kp[i, f] = k[:, :2]
            score[i, f] = k[:, 2]
    if cfg.fps > 0 and t >= 2:
        kp, score = _resample_persons(kp, score, np.asarray(times_ns, np.int64), cfg.fps)
        fps = cfg.fps
    return kp, score, shape, fps


def _resample_persons(
    kp: np.ndarray, score: np.ndarray, times_ns: np.ndarray, fps: float
) -> tuple[np.ndarray, np.ndarray]:
    """(M, T, V, 2) / (M, T, V) at `times_ns` -> the same on the grid at `fps` (the online arithmetic).

    A frame where a person was not seen has score 0: grid frames next to it take the nearer frame's
    joints, so a person never glides in from (0, 0).
    """
    from action_recognition.features.resample import resample_sequence

    start = times_ns - times_ns[0]  # the sample's own time: its first frame is grid frame 0
    outs = [resample_sequence(start, kp[m], score[m], fps) for m in range(kp.shape[0])]
    return np.stack([o[1] for o in outs]), np.stack([o[2] for o in outs])


def _part_path(parts: Path, item: VideoItem, cfg: ExtractConfig) -> Path:
    key = hashlib.sha1(repr((str(item.path.resolve()), sorted(asdict(cfg).items()))).encode()).hexdigest()[
        :16
    ]
    return parts / f"{key}.pkl"


def extract_dataset(
    root: str | Path,
    out: str | Path,
    cfg: ExtractConfig | None = None,
    csv_path: str | Path | None = None,
    classes: list[str] | None = None,
    split: str = "train",
    progress: bool = True,
    keep_parts: bool = False,
) -> dict[str, Any]:
    """Extract every labelled video under root into a PYSKL data set at `out`; resumes from `<out>.parts/`."""
    cfg = cfg or ExtractConfig()
    items = find_videos(root, csv_path)
    if not items:
        raise FileNotFoundError(f"no videos ({', '.join(VIDEO_SUFFIXES)}) under {root}")
    labels_seen = sorted({it.label for it in items})
    classes = list(classes) if classes else labels_seen
    unknown = [lab for lab in labels_seen if lab not in classes]
    if unknown:
        raise ValueError(f"videos labelled {unknown}, which the class list {classes} lacks")
    out = Path(out)
    parts = out.with_name(out.name + ".parts")
    parts.mkdir(parents=True, exist_ok=True)
    todo = [it for it in items if not _part_path(parts, it, cfg).exists()]
    estimator = None
    if todo:
        from action_recognition.pose.estimator import PoseConfig, PoseEstimator

        estimator = PoseEstimator(
            PoseConfig(model=cfg.model, layout=cfg.layout, device=cfg.device, imgsz=cfg.imgsz, conf=cfg.conf,
                       tracker=cfg.tracker)
        )  # fmt: skip
    bar = None
    if progress and todo:
        from tqdm import tqdm

        total = sum(_frame_count(it.path) for it in todo)
        bar = tqdm(total=total or None, unit="frame", desc=f"extract {len(todo)}/{len(items)} videos")
    try:
        for it in todo:
            if bar is not None:
                bar.set_postfix_str(it.name[-40:])
            kp, score, shape, fps = extract_video(estimator, it, cfg, bar.update if bar is not None else None)
            part = {"keypoint": kp, "keypoint_score": score, "img_shape": shape, "fps": fps}
            tmp = _part_path(parts, it, cfg).with_suffix(".tmp")
            with tmp.open("wb") as f:
                pickle.dump(part, f)
            tmp.replace(_part_path(parts, it, cfg))  # written whole or not at all: safe to resume
    finally:
        if bar is not None:
            bar.close()
    annotations, splits = [], {}
    for it in items:
        with _part_path(parts, it, cfg).open("rb") as f:
            try:  # the cache folder may come from elsewhere: plain data only (pickles can run code)
                part = safe_pickle.load(f)
            except safe_pickle.UnsafePickleError as exc:
                raise DatasetError(f"{f.name}: {exc}; delete {parts} to extract again") from None
        annotations.append({
            "frame_dir": it.name,
            "label": classes.index(it.label),
            "img_shape": tuple(part["img_shape"]),
            "original_shape": tuple(part["img_shape"]),
            "total_frames": int(part["keypoint"].shape[1]),
            "keypoint": part["keypoint"],
            "keypoint_score": part["keypoint_score"],
            "fps": float(part["fps"]),
        })  # fmt: skip
        splits.setdefault(it.split or split, []).append(it.name)
    data = {"split": splits, "annotations": annotations, "classes": classes, "layout": cfg.layout}
    save_dataset(data, out)
    if not keep_parts:
        for p in parts.glob("*.pkl"):
            p.unlink()
        parts.rmdir()
    return data


def _frame_count(path: Path) -> int:
    import cv2

    cap = cv2.VideoCapture(str(path))
    try:
        return int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    finally:
        cap.release()
