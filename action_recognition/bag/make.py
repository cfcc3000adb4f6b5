"""Make evaluation bags: a PYSKL skeleton data set or a labelled video -> rosbag2 with ground truth.

Skeleton bags: sample i's frames are stamped from its own start time at the sample's fps; consecutive
samples are separated by `gap_s` (longer than the action node's track_timeout) and person m of sample i
is track `10 * (i + 1) + m`, so no window of the action node ever mixes two samples. The ground truth
of sample i applies to its first person (the actor); a bystander has none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from action_recognition.bag.ground_truth import (
    EVERY_PERSON,
    GROUND_TRUTH_TYPE,
    Segment,
    read_annotations,
    segment_to_rosbags,
)
from action_recognition.bag.io import SKELETON_TYPE, BagWriter
from action_recognition.features.normalize import DEFAULT_IMG_SHAPE

DEFAULT_START_NS = 1_700_000_000 * 1_000_000_000  # fixed, so the same input always gives the same bag
DEFAULT_SKELETON_TOPIC = "/skeletons"
DEFAULT_IMAGE_TOPIC = "/camera/image_raw"
DEFAULT_GT_TOPIC = "/ground_truth"
DEFAULT_STORAGE = "mcap"  # rosbag2's default storage since Iron (sqlite3 before)
DEFAULT_GAP_S = 3.0  # > the action node's default track_timeout (2 s)
TRACKS_PER_SAMPLE = 10


def sample_track_id(index: int, person: int) -> int:
    return TRACKS_PER_SAMPLE * (index + 1) + person


def _stamp(store: Any, ns: int) -> Any:
    return store.types["builtin_interfaces/msg/Time"](sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)


def _header(store: Any, ns: int, frame_id: str) -> Any:
    return store.types["std_msgs/msg/Header"](stamp=_stamp(store, ns), frame_id=frame_id)


def _skeleton_array(
    store: Any,
    ns: int,
    frame_id: str,
    layout: str,
    size: tuple[int, int],
    people: list[tuple[int, np.ndarray]],
) -> Any:
    t = store.types
    kp_cls, sk_cls = t["action_recognition/msg/Keypoint"], t["action_recognition/msg/Skeleton"]
    skeletons = []
    for track_id, rows in people:  # rows (V, 4): x, y, z, score
        seen = rows[rows[:, 3] > 0]
        lo, hi = seen[:, :2].min(0), seen[:, :2].max(0)
        skeletons.append(
            sk_cls(
                track_id=track_id,
                layout=layout,
                has_z=False,
                keypoints=[kp_cls(x=float(x), y=float(y), z=float(z), score=float(s)) for x, y, z, s in rows],
                bbox=np.array([lo[0], lo[1], hi[0], hi[1]], np.float32),
                bbox_score=float(seen[:, 3].mean()),
            )
        )
    return t[SKELETON_TYPE](
        header=_header(store, ns, frame_id),
        image_width=int(size[0]),
        image_height=int(size[1]),
        layout=layout,
        skeletons=skeletons,
    )


def make_skeleton_bag(
    data: Mapping[str, Any],
    samples: Sequence[Mapping[str, Any]],
    out: str | Path,
    storage: str = DEFAULT_STORAGE,
    topic: str = DEFAULT_SKELETON_TOPIC,
    gt_topic: str = DEFAULT_GT_TOPIC,
    gap_s: float = DEFAULT_GAP_S,
    start_ns: int = DEFAULT_START_NS,
    frame_id: str = "camera",
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Write `samples` (2D, PYSKL format) of data set `data` as SkeletonArrays plus GroundTruth."""
    classes = [str(c) for c in data.get("classes") or []]
    layout = str(data.get("layout") or "coco")
    t0 = start_ns
    frames = segments = 0
    with BagWriter(out, storage) as bag:
        store = bag.store
        bag.add_topic(topic, SKELETON_TYPE)
        bag.add_topic(gt_topic, GROUND_TRUTH_TYPE)
        for i, sample in enumerate(samples):
            kp = np.asarray(sample["keypoint"], np.float32)  # (M, T, V, 2)
            if kp.shape[-1] != 2:
                raise ValueError(f"sample {sample['frame_dir']!r}: only 2D skeleton data sets become bags")
            score = np.asarray(sample["keypoint_score"], np.float32)
            fps = float(sample.get("fps") or 30.0)
            h, w = sample.get("img_shape") or DEFAULT_IMG_SHAPE
            n = kp.shape[1]
            frame_ns = round(1e9 / fps)
            end = t0 + (n - 1) * frame_ns
            label = int(sample["label"])
            name = classes[label] if label < len(classes) else f"class_{label}"
            seg = Segment(sample_track_id(i, 0), label, name, t0, end, str(sample["frame_dir"]))
            bag.write(gt_topic, t0, segment_to_rosbags(seg, classes, frame_id, store))
            segments += 1
            for f in range(n):
                people = []
                for m in range(kp.shape[0]):
                    if score[m, f].max() <= 0:  # a missed detection: a pose node publishes nobody
                        continue
                    rows = np.zeros((kp.shape[2], 4), np.float32)
                    rows[:, :2], rows[:, 3] = kp[m, f], score[m, f]
                    people.append((sample_track_id(i, m), rows))
                ns = t0 + f * frame_ns
                bag.write(topic, ns, _skeleton_array(store, ns, frame_id, layout, (w, h), people))
                frames += 1
            t0 = end + round(gap_s * 1e9)
            if progress:
                progress(1)
    return {"samples": len(samples), "frames": frames, "segments": segments, "classes": classes}


def make_video_bag(
    video: str | Path,
    out: str | Path,
    label: str | None = None,
    annotations: str | Path | None = None,
    classes: list[str] | None = None,
    storage: str = DEFAULT_STORAGE,
    topic: str = DEFAULT_IMAGE_TOPIC,
    gt_topic: str = DEFAULT_GT_TOPIC,
    width: int = 0,
    max_frames: int = 0,
    start_ns: int = DEFAULT_START_NS,
    frame_id: str = "camera",
) -> dict[str, Any]:
    """Write a video's frames as bgr8 Images plus its labels (one for the video, or a CSV's segments)."""
    import cv2

    from action_recognition.pose.video_source import VideoSource

    if (label is None) == (annotations is None):
        raise ValueError("give either a label for the whole video or an annotation CSV")
    total = _count_frames(video, max_frames)
    if not total:
        raise ValueError(f"{video}: no frames could be read")
    with VideoSource(video) as src:
        fps = src.fps
        frame_ns = round(1e9 / fps)
        name = Path(video).name
        if annotations is not None:
            segs, classes = read_annotations(annotations, classes, fps, total, start_ns, name)
        else:
            classes = list(classes) if classes else [str(label)]
            if label not in classes:
                raise ValueError(f"label {label!r} is not one of the classes {classes}")
            end = start_ns + (total - 1) * frame_ns
            segs = [Segment(EVERY_PERSON, classes.index(label), str(label), start_ns, end, name)]
        written = 0
        with BagWriter(out, storage) as bag:
            store = bag.store
            bag.add_topic(topic, "sensor_msgs/msg/Image")
            bag.add_topic(gt_topic, GROUND_TRUTH_TYPE)
            # Each label goes in just before its first frame, so the bag is in time order on disk.
            pending = sorted(segs, key=lambda s: s.start_ns)
            image_cls = store.types["sensor_msgs/msg/Image"]
            for frame in src:
                if frame.index >= total:
                    break
                ns = start_ns + frame.index * frame_ns
                while pending and pending[0].start_ns <= ns:
                    bag.write(gt_topic, ns, segment_to_rosbags(pending.pop(0), classes, frame_id, store))
                img = frame.image
                if width and img.shape[1] != width:
                    img = cv2.resize(img, (width, round(img.shape[0] * width / img.shape[1])))
                h, w = img.shape[:2]
                msg = image_cls(
                    header=_header(store, ns, frame_id),
                    height=h,
                    width=w,
                    encoding="bgr8",
                    is_bigendian=0,
                    step=w * 3,
                    data=np.ascontiguousarray(img).reshape(-1),
                )
                bag.write(topic, ns, msg)
                written += 1
    return {"frames": written, "fps": fps, "segments": len(segs), "classes": classes}


def _count_frames(video: str | Path, max_frames: int) -> int:
    # Containers' frame counts can be wrong; the label's end stamp must be the last real frame.
    import cv2

    cap = cv2.VideoCapture(str(video))
    n = 0
    try:
        while (not max_frames or n < max_frames) and cap.grab():
            n += 1
    finally:
        cap.release()
    return n
