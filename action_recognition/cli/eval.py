"""`action-recognition eval`: a checkpoint on a PYSKL data file -> metrics, confusion matrix, scores."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval", help="evaluate a checkpoint on PYSKL-format data (top-1/5, mean class acc, confusion matrix)")
    parser.add_argument("--checkpoint", required=True,
                        help="our .pth, a PYSKL one, an ensemble .yaml (model/ensemble.py), "
                             "or a shipped model's name")
    parser.add_argument("--data", help="PYSKL .pkl data file")
    parser.add_argument("--real", action="append", default=[], metavar="FILE.pkl",
                        help="labelled real motion whose `classes` name the labels (repeatable; e.g. "
                             "../shared/real_dev/utd_mhad_dev_coco2d.pkl): per class, whole sequences and "
                             "online windows, and the share of out-of-set samples that come out unknown")
    parser.add_argument("--windows", default="2,3",
                        help="--real: window lengths in seconds (comma separated)")
    parser.add_argument("--threshold", type=float, default=None,
                        help="--real: top score below which the output is unknown (default: the model's "
                             "own score_threshold, else 0)")
    parser.add_argument("--threads", type=int, default=None, help="--real: torch threads (default: torch's)")
    parser.add_argument("--subjects", help="--real: only these `subject` ids, comma separated (e.g. 5,7)")
    parser.add_argument("--noise-seed", type=int, default=None,
                        help="--real: also add pose-estimator noise (training.augment) with this seed")
    parser.add_argument("--view-yaw", type=float, default=None, metavar="DEG",
                        help="--real with NTU RGB+D 3D files (e.g. ../shared/real_dev/*_ntu3d.pkl): see each "
                             "person turned by DEG degrees, by a 1920x1080 camera 4 m away (data.reproject)")
    parser.add_argument("--view-pitch", type=float, default=0.0, metavar="DEG",
                        help="--view-yaw: camera elevation in degrees (+: looking down)")
    parser.add_argument("--shift", default=None, metavar="DX,DY",
                        help="--real: move every person by DX,DY pixels (x right, y down)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="--real: scale every person by this factor about the image centre")
    parser.add_argument("--canvas", default=None, metavar="WxH",
                        help="--real: put the same pixels in a WxH frame (the person smaller, off-centre)")
    parser.add_argument("--hide", default=None, metavar="JOINT[,JOINT...]",
                        help="--real: these joints (the model layout's names, e.g. left_ankle,right_ankle) "
                             "never detected, as for a person cut by the frame's bottom edge")
    parser.add_argument("--split", default="test", help="split to evaluate; 'all' for every sample")
    parser.add_argument("--num-clips", type=int, default=10, help="test clips per sample (PYSKL: 10)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--out", help="folder for metrics.json, confusion_matrix.png and scores.npz")
    parser.add_argument("--subset", action="append", default=[], metavar="NAME[,NAME...]",
                        help="also report accuracy on the samples of these classes (repeatable), e.g. "
                             "'sitting down,standing up (from sitting position)'")
    spec = parser.add_argument_group("spec overrides (for checkpoints without a stored spec, e.g. PYSKL's)")
    spec.add_argument("--layout", help="layout name or YAML file")
    spec.add_argument("--feats", help="streams, comma separated (j,b,jm,bm)")
    spec.add_argument("--clip-len", type=int)
    spec.add_argument("--num-person", type=int)
    spec.add_argument("--normalization", choices=("2d", "3d", "none"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.real:
        from action_recognition.cli.eval_real import run_real

        return run_real(args)
    if not args.data:
        print("error: pass --data FILE.pkl (or --real FILE.pkl for labelled real motion)", file=sys.stderr)
        return 2
    import numpy as np

    from action_recognition.data.format import DatasetError, load_dataset, split_samples
    from action_recognition.model.checkpoint import CheckpointError, load_model_file
    from action_recognition.recognition.model_source import resolve_model_path
    from action_recognition.training.distributed import resolve_device
    from action_recognition.training.evaluation import evaluate_samples
    from action_recognition.training.metrics import subset_report
    from action_recognition.training.plots import plot_confusion_matrix
    from action_recognition.training.run_dir import save_scores

    overrides = {k: v for k, v in (("layout", args.layout), ("clip_len", args.clip_len),
                                   ("num_person", args.num_person), ("normalization", args.normalization))
                 if v is not None}
    if args.feats:
        overrides["feats"] = tuple(f.strip() for f in args.feats.split(","))
    try:
        ckpt = load_model_file(resolve_model_path(args.checkpoint), **overrides)
        data = load_dataset(args.data)
        samples = split_samples(data, None if args.split == "all" else args.split)
    except (CheckpointError, DatasetError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not samples:
        print(f"error: split {args.split!r} of {args.data} is empty", file=sys.stderr)
        return 2
    labels = np.array([int(s["label"]) for s in samples])
    if labels.max() >= ckpt.spec.num_classes:
        print(f"error: the data has label {labels.max()} but the model has {ckpt.spec.num_classes} classes",
              file=sys.stderr)
        return 2
    if samples[0]["keypoint"].shape[2] != ckpt.model.num_joints:
        print(f"error: the data has {samples[0]['keypoint'].shape[2]} joints, the model "
              f"{ckpt.model.num_joints}", file=sys.stderr)
        return 2
    device = resolve_device(args.device)
    out = evaluate_samples(ckpt.model.to(device), samples, ckpt.spec, args.num_clips, device,
                           args.batch_size, args.workers, progress=sys.stderr.isatty())
    names = ckpt.spec.class_names or [f"class_{i}" for i in range(ckpt.spec.num_classes)]
    metrics = {**out["metrics"], "checkpoint": str(args.checkpoint), "data": str(args.data),
               "split": args.split}
    for subset in args.subset:
        wanted = [n.strip() for n in subset.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in names]
        if unknown:
            print(f"error: --subset names unknown class(es) {unknown}; the model has {names}",
                  file=sys.stderr)
            return 2
        metrics.setdefault("subsets", {})[",".join(wanted)] = subset_report(
            out["scores"], out["labels"], [names.index(n) for n in wanted])
    print(json.dumps(metrics, indent=2))
    print("confusion matrix (rows: true, columns: predicted):")
    print(np.array2string(out["confusion_matrix"], max_line_width=200))
    if args.out:
        folder = Path(args.out)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "metrics.json").write_text(json.dumps(
            {**metrics, "confusion_matrix": out["confusion_matrix"].tolist(), "classes": names}, indent=2))
        plot_confusion_matrix(out["confusion_matrix"], names, folder / "confusion_matrix.png",
                              title=f"{args.split}: top-1 {metrics['top1']:.3f}")
        save_scores(folder / "scores.npz", out["scores"], out["labels"], names, out["names"],
                    stream="+".join(ckpt.spec.feats))
        print(f"wrote {folder}/metrics.json, confusion_matrix.png, scores.npz")
    return 0
