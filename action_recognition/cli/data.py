"""`action-recognition data synth|extract|info`: make, extract and inspect PYSKL-format skeleton data sets."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _write_label_map(out: Path, classes: list[str]) -> Path:
    path = out.with_suffix(".labels.txt")
    path.write_text("".join(f"{c}\n" for c in classes))
    return path


def _synth(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from action_recognition.data.classes import resolve_classes
    from action_recognition.data.format import save_dataset
    from action_recognition.data.synth.actions import DEFAULT_CLASSES
    from action_recognition.data.synth.generator import SynthConfig, generate_dataset

    try:
        classes = resolve_classes(args.classes, DEFAULT_CLASSES)
        cfg = SynthConfig(
            classes=tuple(classes),
            layout=args.layout,
            dims=args.dims,
            second_person_prob=args.second_person,
            train_cameras=args.train_cameras,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    n_val, n_test = round(args.num * args.val_frac), round(args.num * args.test_frac)
    sizes = {"train": args.num - n_val - n_test, "val": n_val, "test": n_test}
    sizes = {k: v for k, v in sizes.items() if v > 0}
    with tqdm(total=args.num, unit="sample", desc="synth", disable=args.quiet) as bar:
        data = generate_dataset(cfg, sizes, seed=args.seed, workers=args.workers, progress=bar.update)
    out = save_dataset(data, args.out)
    labels = _write_label_map(out, classes)
    print(
        f"wrote {out} ({len(data['annotations'])} samples: "
        + ", ".join(f"{k} {v}" for k, v in sizes.items())
        + f"; {len(classes)} classes) and {labels}"
    )
    return 0


def _extract(args: argparse.Namespace) -> int:
    from action_recognition.data.classes import load_class_file
    from action_recognition.data.extract import ExtractConfig, extract_dataset

    cfg = ExtractConfig(
        model=args.model,
        layout=args.layout,
        device=args.device,
        imgsz=args.imgsz,
        conf=args.conf,
        tracker=args.tracker,
        max_persons=args.max_persons,
        stride=args.stride,
        fps=args.fps,
        max_frames=args.max_frames,
    )
    try:
        classes = None
        if args.classes:
            classes = (
                load_class_file(args.classes)
                if args.classes.endswith((".yaml", ".yml"))
                else [c.strip() for c in args.classes.split(",") if c.strip()]
            )
        data = extract_dataset(
            args.videos,
            args.out,
            cfg,
            csv_path=args.csv,
            classes=classes,
            split=args.split,
            progress=not args.quiet,
            keep_parts=args.keep_parts,
        )
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    labels = _write_label_map(Path(args.out), data["classes"])
    print(
        f"wrote {args.out} ({len(data['annotations'])} videos, {len(data['classes'])} classes) and {labels}"
    )
    return 0


def _info(args: argparse.Namespace) -> int:
    from action_recognition.data.format import DatasetError, load_dataset
    from action_recognition.data.info import dataset_stats, draw_strips, format_stats

    try:
        data = load_dataset(args.file, unsafe_pickle=args.unsafe_pickle)
    except (DatasetError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    stats = dataset_stats(data)
    print(json.dumps(stats, indent=2) if args.json else format_stats(stats))
    if not args.no_png and data["annotations"]:
        png = Path(args.png) if args.png else Path(args.file).with_suffix(".samples.png")
        draw_strips(data, png, num_samples=args.samples, num_frames=args.frames)
        print(f"skeleton strips: {png}", file=sys.stderr if args.json else sys.stdout)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("data", help="make, extract and inspect PYSKL-format skeleton data sets")
    sub = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    p = sub.add_parser("synth", help="generate a synthetic data set (train/val/test splits)")
    p.add_argument("--layout", default="coco", choices=["coco", "nturgb+d", "openpose"])
    p.add_argument("--dims", type=int, default=2, choices=[2, 3], help="3: Kinect-style 3D (nturgb+d only)")
    p.add_argument(
        "--classes",
        default=None,
        help="config/datasets name (e.g. sit_stand), a YAML file, or comma-separated class names or "
        "indices; default: all synthetic actions",
    )
    p.add_argument("--num", type=int, default=1000, help="total samples over all splits (default 1000)")
    p.add_argument("--val-frac", type=float, default=0.1)
    p.add_argument("--test-frac", type=float, default=0.1, help="test: unseen body sizes, cameras and seeds")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--second-person", type=float, default=0.3, help="chance of a bystander in a clip")
    p.add_argument(
        "--train-cameras",
        default="disjoint",
        help="disjoint: test cameras unseen in training (default); all: train on every camera, test keeps "
        "unseen bodies and view angles",
    )
    p.add_argument("--workers", type=int, default=1, help="processes (the result does not depend on it)")
    p.add_argument("--out", required=True, help="output .pkl")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_synth)

    p = sub.add_parser("extract", help="videos labelled by sub-folder (or a CSV) -> data set, resumable")
    p.add_argument(
        "videos", help="folder: <class>/<video> files, or the root the CSV's paths are relative to"
    )
    p.add_argument("--out", required=True, help="output .pkl (progress kept in <out>.parts/ until done)")
    p.add_argument("--csv", default=None, help="CSV with columns video,label[,split]")
    p.add_argument(
        "--classes", default=None, help="class order (names comma-separated or a YAML); default sorted"
    )
    p.add_argument("--split", default="train", help="split name for videos the CSV gives none")
    p.add_argument("--model", default=None, help="pose weights (default: installed yolo11n-pose)")
    p.add_argument("--layout", default="coco")
    p.add_argument("--device", default="cpu")
    p.add_argument("--imgsz", type=int, default=640)
    p.add_argument("--conf", type=float, default=0.25)
    p.add_argument("--tracker", default="bytetrack_robust.yaml", help="as the pose node's tracker parameter")
    p.add_argument("--max-persons", type=int, default=2)
    p.add_argument("--stride", type=int, default=1, help="run the pose model on every n-th frame (speed)")
    p.add_argument("--fps", type=float, default=30.0,
                   help="frame rate of the samples, resampled by media time (train with data.fps = this); "
                        "0 = the used frames as they are")
    p.add_argument("--max-frames", type=int, default=None, help="frames used per video at most")
    p.add_argument("--keep-parts", action="store_true", help="keep the per-video cache after writing")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_extract)

    p = sub.add_parser("info", help="classes, counts, frame statistics and a PNG of skeleton strips")
    p.add_argument("file", help="PYSKL .pkl")
    p.add_argument("--png", default=None, help="where to draw samples (default <file>.samples.png)")
    p.add_argument("--no-png", action="store_true")
    p.add_argument("--samples", type=int, default=6, help="rows in the PNG")
    p.add_argument("--frames", type=int, default=8, help="skeletons per row")
    p.add_argument("--json", action="store_true", help="print the statistics as JSON")
    p.add_argument("--unsafe-pickle", action="store_true",
                   help="load any pickle, not only plain data (pickles run code: trusted files only)")
    p.set_defaults(func=_info)
