"""Person recall per pose input size against a high-resolution reference, track ids per tracker, speed.

    .venv/bin/python benchmarks/bench_pose_recall.py                       # the demo video, every table
    .venv/bin/python benchmarks/bench_pose_recall.py --videos a.mp4 b.mp4 --no-speed

Recall: every frame is shrunk to a camera-like size (long side --long-side, 640 px, what the demo publishes)
and run through yolo11n-pose at each --imgsz; the reference ("pseudo ground truth") is the same model at
--ref-imgsz 1280 on the full-resolution frame, people with score >= --ref-conf. A reference person counts as
found when a detection with score >= conf overlaps it with IoU >= 0.5 (one detection per person).

Track ids: the cached detections of one size go through the Ultralytics tracker named by each --trackers
entry (resolved as the pose node resolves its `tracker` parameter: the package's config/trackers first),
exactly as `model.track` feeds it, also on every 2nd/3rd frame (a pose node slower than the camera).
"ids" counts distinct confirmed ids; "tracked" is the share of reference people covered by a confirmed
track (what the pose node publishes, since unconfirmed detections are dropped).

Speed: benchmarks/bench_pose.py per backend and --imgsz, one core (see docs/pose.md).

Detections are cached in --cache (default runs/pose_recall_cache) keyed by video, size and imgsz, so
tracker settings can be tried again without the detector.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

CONF_FLOOR = 0.05  # cached detections go this low; any threshold above is a filter of the cache
MATCH_IOU = 0.5


def _video_key(video: Path) -> str:
    digest = hashlib.sha1(f"{video.resolve()}:{video.stat().st_size}".encode()).hexdigest()[:8]
    return f"{video.stem}-{digest}-kp"


def _resize_long(image: np.ndarray, long_side: int) -> np.ndarray:
    h, w = image.shape[:2]
    if long_side <= 0 or max(h, w) == long_side:
        return image
    s = long_side / max(h, w)
    return cv2.resize(image, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)


def _model(imgsz: int):
    from action_recognition.paths import default_pose_weights
    from action_recognition.pose import ultralytics_env

    ultralytics_env.prepare()
    from ultralytics import YOLO

    return YOLO(str(default_pose_weights()), task="pose")


def _detect(model, image: np.ndarray, imgsz: int) -> np.ndarray:
    r = model.predict(image, imgsz=imgsz, conf=CONF_FLOOR, iou=0.7, max_det=20, device="cpu",
                      verbose=False)[0]
    boxes = r.boxes.data.cpu().numpy().astype(np.float32)
    data = r.keypoints.data.cpu().numpy().astype(np.float32)
    kpts = data.reshape(len(boxes), int(np.prod(data.shape[1:])))
    return np.concatenate([boxes, kpts], axis=1)  # (N, 6 + 3V): x1 y1 x2 y2 score cls, x y score per joint


def detections(video: Path, cache: Path, runs: list[tuple[int, int]]) -> dict[tuple[int, int], list]:
    """{(long_side, imgsz): per-frame (N, 6 + 3V) detections in full-resolution pixels}, cached per run."""
    key = _video_key(video)
    files = {run: cache / f"{key}_{run[0]}_{run[1]}.npz" for run in runs}
    out: dict[tuple[int, int], list[np.ndarray]] = {}
    for run, f in files.items():
        if f.is_file():
            with np.load(f) as z:
                out[run] = np.split(z["boxes"], z["splits"])
    todo = [run for run in runs if run not in out]
    if todo:
        models = {run: _model(run[1]) for run in todo}
        per: dict[tuple[int, int], list[np.ndarray]] = {run: [] for run in todo}
        cap = cv2.VideoCapture(str(video))
        while True:
            ok, image = cap.read()
            if not ok:
                break
            for run in todo:
                small = _resize_long(image, run[0])
                boxes = _detect(models[run], small, run[1])
                scale = image.shape[1] / small.shape[1]  # back to full-resolution pixels
                boxes[:, :4] *= scale
                boxes[:, 6::3] *= scale
                boxes[:, 7::3] *= scale
                per[run].append(boxes)
        cache.mkdir(parents=True, exist_ok=True)
        for run in todo:
            sizes = np.cumsum([len(b) for b in per[run]])[:-1]
            boxes = np.concatenate(per[run]) if per[run] else np.zeros((0, 6 + 3 * 17), np.float32)
            np.savez_compressed(files[run], boxes=boxes, splits=sizes)
            out[run] = per[run]
    return out


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) IoU of xyxy boxes."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), np.float32)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:4], b[None, :, 2:4])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area = lambda x: (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None, :] - inter)


def matched(ref: np.ndarray, test: np.ndarray) -> int:
    """Reference boxes found by a test box (greedy by IoU, one test box per reference box)."""
    iou = _iou(ref, test)
    found = 0
    while iou.size and iou.max() >= MATCH_IOU:
        i, j = np.unravel_index(np.argmax(iou), iou.shape)
        found += 1
        iou[i, :] = -1
        iou[:, j] = -1
    return found


def recall_row(ref: list[np.ndarray], test: list[np.ndarray], conf: float) -> dict:
    refs = found = extra = complete = with_people = 0
    for r, t in zip(ref, test, strict=True):
        t = t[t[:, 4] >= conf]
        m = matched(r, t)
        refs, found, extra = refs + len(r), found + m, extra + len(t) - m
        if len(r):
            with_people += 1
            complete += m == len(r)
    return {"recall": found / max(refs, 1), "complete": complete / max(with_people, 1),
            "extra": extra / max(len(ref), 1), "refs": refs}


def track(dets: list[np.ndarray], shape: tuple[int, int], tracker: str, conf: float, stride: int) -> list:
    """Published people per processed frame, [(frame, (M, 5) x1 y1 x2 y2 id)], as PoseEstimator tracks them
    (PersonTracker on the detections with score >= conf), on every `stride`-th frame at the video's pace."""
    from action_recognition.pose.tracking import PersonTracker

    tr = PersonTracker(tracker)
    blank = np.zeros((*shape, 3), np.uint8)  # camera-motion compensation sees a still camera
    out = []
    for i in range(0, len(dets), stride):
        d = dets[i][dets[i][:, 4] >= conf]
        kpts = d[:, 6:].reshape(len(d), (d.shape[1] - 6) // 3, 3)
        pairs = tr.update(d[:, :6], kpts, blank, stamp=i / 30.0)
        out.append((i, np.array([[*d[k, :4], pid] for k, pid in pairs], np.float32).reshape(-1, 5)))
    return out


def track_row(ref: list[np.ndarray], tracks: list) -> dict:
    ids = {int(t) for _, tr in tracks for t in tr[:, 4]}
    refs = sum(len(ref[i]) for i, _ in tracks)
    found = sum(matched(ref[i], tr[:, :4]) for i, tr in tracks)
    return {"ids": len(ids), "tracked": found / max(refs, 1)}


def _labels(videos: list[Path]) -> dict[Path, str]:
    """Shortest path endings that tell the videos apart (sample sets reuse names like cam01.mp4)."""
    for depth in range(1, 6):
        names = {v: "/".join([*v.parent.parts[len(v.parent.parts) - depth + 1:], v.stem]) if depth > 1
                 else v.stem for v in videos}
        names = {v: n.replace("/videos/", "/") for v, n in names.items()}
        if len(set(names.values())) == len(videos):
            return names
    return {v: str(v) for v in videos}


def _shape(video: Path) -> tuple[int, int]:
    cap = cv2.VideoCapture(str(video))
    return int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)), int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        return "?"


def main() -> int:
    from action_recognition.paths import demo_video

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--videos", nargs="*", type=Path, default=None, help="default: the installed demo video")
    p.add_argument("--long-side", type=int, default=640, help="frames shrunk to this long side (0 = as is)")
    p.add_argument("--imgsz", default="320,416,480,640")
    p.add_argument("--conf", default="0.1,0.25,0.4")
    p.add_argument("--table-conf", type=float, default=0.25, help="conf of the per-video recall table")
    p.add_argument("--ref-imgsz", type=int, default=1280)
    p.add_argument("--ref-conf", type=float, default=0.5)
    p.add_argument("--trackers", default="bytetrack.yaml,botsort.yaml,bytetrack_robust.yaml")
    p.add_argument("--track-imgsz", default="", help="imgsz values for the track table (default: all)")
    p.add_argument("--track-conf", default="0.1,0.25")
    p.add_argument("--strides", default="1,2,3")
    p.add_argument("--cache", type=Path, default=Path("runs/pose_recall_cache"))
    p.add_argument("--no-speed", action="store_true", help="skip the per-backend speed table")
    p.add_argument("--backends", default="pytorch,onnx,openvino")
    args = p.parse_args()
    videos = args.videos or [demo_video()]
    sizes = [int(s) for s in args.imgsz.split(",")]
    confs = [float(c) for c in args.conf.split(",")]
    ref_run = (0, args.ref_imgsz)

    print(f"# {_cpu_name()}, {os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')}, yolo11n-pose; frames shrunk "
          f"to long side {args.long_side}; reference imgsz {args.ref_imgsz} on the full frame, "
          f"score >= {args.ref_conf}")
    dets = {}
    for v in videos:
        dets[v] = detections(v, args.cache, [ref_run] + [(args.long_side, s) for s in sizes])

    names = _labels(videos)
    refs = {v: [r[r[:, 4] >= args.ref_conf] for r in dets[v][ref_run]] for v in videos}
    print(f"\nRecall per video at conf {args.table_conf:g} (reference people found, share of frames with "
          "everyone found):")
    print("| video | frames | ref people | " + " | ".join(f"imgsz {s}" for s in sizes) + " |")
    print("|---|---|---|" + "---|" * len(sizes))
    for v in videos:
        cells = []
        for s in sizes:
            r = recall_row(refs[v], dets[v][(args.long_side, s)], args.table_conf)
            cells.append(f"{100 * r['recall']:.1f} % ({100 * r['complete']:.0f} %)")
        print(f"| {names[v]} | {len(refs[v])} | {sum(map(len, refs[v]))} | " + " | ".join(cells) + " |")

    print("\nAll videos together (every reference person of every frame):")
    print("| imgsz | conf | recall | frames with everyone found | extra detections/frame | demo recall |")
    print("|---|---|---|---|---|---|")
    all_refs = [r for v in videos for r in refs[v]]
    for s in sizes:
        for c in confs:
            r = recall_row(all_refs, [d for v in videos for d in dets[v][(args.long_side, s)]], c)
            first = recall_row(refs[videos[0]], dets[videos[0]][(args.long_side, s)], c)
            print(f"| {s} | {c:g} | {100 * r['recall']:.1f} % | {100 * r['complete']:.1f} % | "
                  f"{r['extra']:.2f} | {100 * first['recall']:.1f} % |", flush=True)

    track_sizes = [int(s) for s in args.track_imgsz.split(",")] if args.track_imgsz else sizes
    strides = [int(x) for x in args.strides.split(",")]
    print("\nTrack ids (distinct ids; reference people covered by a published track), tracking every Nth "
          f"frame (N = {', '.join(map(str, strides))}):")
    print("| video | imgsz | conf | tracker | ids | tracked |")
    print("|---|---|---|---|---|---|")
    for v in videos:
        shape = _shape(v)
        for s in track_sizes:
            for c in (float(x) for x in args.track_conf.split(",")):
                for name in args.trackers.split(","):
                    runs = [track(dets[v][(args.long_side, s)], shape, name, c, n) for n in strides]
                    rows = [track_row(refs[v], run) for run in runs]
                    ids = " / ".join(str(r["ids"]) for r in rows)
                    covered = " / ".join(f"{100 * r['tracked']:.0f} %" for r in rows)
                    print(f"| {names[v]} | {s} | {c:g} | {name} | {ids} | {covered} |", flush=True)

    if not args.no_speed:
        print("\nSpeed (benchmarks/bench_pose.py, one core, demo frames 640x360):", flush=True)
        bench = Path(__file__).with_name("bench_pose.py")
        subprocess.run([sys.executable, str(bench), f"--backends={args.backends}", f"--imgsz={args.imgsz}",
                        "--threads=1"], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
