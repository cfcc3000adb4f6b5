"""Package finished runs as a shipped model folder: weights, config, label map, report, plots.

    .venv/bin/python training/package_model.py --run runs/stgcnpp_coco_synth \
        --out models/stgcnpp_coco_synth --subset "sitting down,standing up (from sitting position)" \
        --notes training/cards/stgcnpp_coco_synth.md
    .venv/bin/python training/package_model.py --run runs/stgcnpp_coco_real_s0 \
        --run runs/stgcnpp_coco_real_s1 --run runs/stgcnpp_coco_real_s2 --out models/stgcnpp_coco_real_x3 \
        --config training/configs/stgcnpp_coco_real.yaml --title "..." --notes notes.md --subset ...

Re-evaluates best.pth on the run's test split with PYSKL's 10 clips and with 1 clip (what the
online node feeds), adds the accuracy on each --subset of classes, and writes model.pth (weights
+ spec only), config.yaml, label_map.txt, metrics.json, report.md, confusion_matrix.png and
curves.png into --out. --notes appends a markdown file (real-data results, licences) to report.md.

Several --run (one recipe trained with several seeds, `train --seeds`): the first is model.pth, the
others model_seed<seed>.pth, and ensemble.yaml lists them (model/ensemble.py); the report's numbers are
the ensemble's, with each member's beside them. Member files of an earlier packaging are removed.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import torch
import yaml

from action_recognition.model import load_checkpoint, save_checkpoint
from action_recognition.model.checkpoint import CheckpointError, MeanProbability, set_unknown_margin
from action_recognition.model.ensemble import ENSEMBLE_FILE, EnsembleError, check_same_input
from action_recognition.training.config import config_from_dict
from action_recognition.training.data_setup import prepare_data
from action_recognition.training.evaluation import evaluate_samples
from action_recognition.training.metrics import subset_report
from action_recognition.training.plots import plot_confusion_matrix

# The report's title when none is given: the defaults package the synthetic-only model.
SYNTH_TITLE = ("stgcnpp_coco_synth: ST-GCN++, COCO-17 2D, synthetic actions only "
               "(the permissively licensed alternative)")


def pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, type=Path, action="append",
                        help="a finished run folder; repeat for an ensemble's members (first: model.pth)")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--subset", action="append", default=[])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--config", default="training/configs/stgcnpp_coco_synth.yaml",
                        help="the config the report names as the training command")
    parser.add_argument("--title", default=SYNTH_TITLE)
    parser.add_argument("--notes", type=Path, help="markdown appended to report.md")
    parser.add_argument("--unknown-margin", type=float, default=0.0,
                        help="lower the internal `unknown` class's logit bias by this much (chosen on "
                             "protocol runs with `eval --real`; recorded in the model's meta)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    runs, out = args.run, args.out
    # resolved: a run written before a config field existed compares as that field's default
    configs = [config_from_dict(yaml.safe_load((r / "config.yaml").read_text()), str(r / "config.yaml"))
               .to_dict() for r in runs]
    cfg = config_from_dict(configs[0], str(runs[0] / "config.yaml"))
    if len(runs) > 1:
        check_same_recipe(parser, runs, configs)
    ckpts = [load_checkpoint(r / "best.pth") for r in runs]
    if args.unknown_margin:
        for ckpt in ckpts:
            try:
                set_unknown_margin(ckpt, args.unknown_margin)
            except CheckpointError as exc:
                parser.error(f"--unknown-margin: {exc}")
    try:
        spec = check_same_input([c.spec for c in ckpts], [str(r) for r in runs], "--run")
    except EnsembleError as exc:
        parser.error(str(exc))
    model = ckpts[0].model if len(ckpts) == 1 else MeanProbability([c.model for c in ckpts]).eval()
    data = prepare_data(cfg.data, need_train=False)
    names = list(spec.class_names or data.classes)
    device = torch.device("cpu")
    results = {}
    for clips in sorted({cfg.data.num_clips_test, 1}, reverse=True):
        res = evaluate_samples(model, data.test, spec, clips, device, 32)
        metrics = dict(res["metrics"])
        for subset in args.subset:
            wanted = [n.strip() for n in subset.split(",")]
            metrics.setdefault("subsets", {})[subset] = subset_report(
                res["scores"], res["labels"], [names.index(n) for n in wanted])
        metrics["confusion_matrix"] = res["confusion_matrix"].tolist()
        results[f"test_{clips}clip"] = metrics
        shown = {k: v for k, v in metrics.items() if k != "confusion_matrix"}
        print(f"test, {clips} clip(s): {json.dumps(shown)}")

    out.mkdir(parents=True, exist_ok=True)
    for stale in [out / ENSEMBLE_FILE, *out.glob("model_seed*.pth")]:
        stale.unlink(missing_ok=True)  # an earlier packaging's members must not outlive it
    files = member_files(configs)
    members = []
    for ckpt, run, config, name in zip(ckpts, runs, configs, files, strict=True):
        meta = {k: v for k, v in ckpt.meta.items() if k not in ("format", "format_version", "model_spec")}
        save_checkpoint(out / name, ckpt.model, ckpt.spec, meta)
        member = {"file": name, "run": str(run), "seed": config.get("seed"),
                  "best_epoch": ckpt.meta.get("epoch")}
        if len(ckpts) > 1:
            res = evaluate_samples(ckpt.model, data.test, spec, 1, device, 32)
            member["test_1clip_top1"] = res["metrics"]["top1"]
        members.append(member)
    if len(files) > 1:
        (out / ENSEMBLE_FILE).write_text(
            "# This model: the members' class probabilities are averaged (model/ensemble.py);\n"
            "# each is an ordinary checkpoint (model.pth alone is one seed of the recipe).\n"
            f"members: [{', '.join(files)}]\n")
    shutil.copyfile(runs[0] / "config.yaml", out / "config.yaml")
    shutil.copyfile(runs[0] / "label_map.txt", out / "label_map.txt")
    shutil.copyfile(runs[0] / "curves.png", out / "curves.png")
    best = results[f"test_{cfg.data.num_clips_test}clip"]
    plot_confusion_matrix(np.array(best["confusion_matrix"]), names, out / "confusion_matrix.png",
                          title=f"synthetic test ({cfg.data.num_clips_test} clips): top-1 {best['top1']:.3f}")
    history = [json.loads(x) for x in (runs[0] / "log.jsonl").read_text().splitlines() if x.strip()]
    train_time = sum(h["time_s"] for h in history)
    summary = {"model_spec": spec.to_dict(), "best_epoch": ckpts[0].meta.get("epoch"),
               "val": ckpts[0].meta.get("val"), **results, "train_time_s": round(train_time, 1),
               "epochs": history, "members": members}
    (out / "metrics.json").write_text(json.dumps(summary, indent=2))
    notes = args.notes.read_text() if args.notes else ""
    (out / "report.md").write_text(render_report(summary, cfg, names, args.subset, args.config, args.title)
                                   + notes)
    print(f"wrote {out}: " + ", ".join(sorted(p.name for p in out.iterdir())))


def member_files(configs: list[dict]) -> list[str]:
    """model.pth for the first run, model_seed<seed>.pth for the others."""
    return ["model.pth"] + [f"model_seed{c.get('seed')}.pth" for c in configs[1:]]


def check_same_recipe(parser: argparse.ArgumentParser, runs: list[Path], configs: list[dict]) -> None:
    """An ensemble's runs: one resolved config but for seed and work_dir, distinct seeds."""
    seeds = [c.get("seed") for c in configs]
    if len(set(seeds)) != len(seeds):
        parser.error(f"--run: the runs share a seed ({seeds}); an ensemble's members are one recipe's seeds")
    strip = [{k: v for k, v in c.items() if k not in ("seed", "work_dir", "resume")} for c in configs]
    for run, other in zip(runs[1:], strip[1:], strict=True):
        if other != strip[0]:
            keys = sorted(k for k in set(other) | set(strip[0]) if other.get(k) != strip[0].get(k))
            parser.error(f"--run: {run} differs from {runs[0]} in {keys}; an ensemble's members are one "
                         "recipe trained with different seeds")


def row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def render_report(s: dict, cfg, names: list[str], subsets: list[str],
                  config: str = "training/configs/stgcnpp_coco_synth.yaml",
                  title: str = SYNTH_TITLE) -> str:
    spec = s["model_spec"]
    tests = sorted(k for k in s if k.startswith("test_"))
    members = s.get("members") or []
    seeds = ",".join(str(m["seed"]) for m in members)
    command = (f"`action-recognition train --config {config}` (packaged" if len(members) < 2 else
               f"`action-recognition train --config {config} --seeds {seeds}` (an ensemble of {len(members)} "
               "seeds: `ensemble.yaml` averages their class probabilities; packaged")
    lines = [
        f"# {title}", "",
        f"Trained with {command} by `training/package_model.py`). Test data: the synthetic generator's "
        "`test` split, "
        "drawn from body proportions, camera heights, fields of view, person sizes and viewing angles "
        "disjoint from training's, with its own seeds.", "",
        "## Model spec", "",
        f"- layout `{spec['layout']}` ({len(names)} classes), feats {spec['feats']}, "
        f"clip_len {spec['clip_len']}, num_person {spec['num_person']}, normalization "
        f"`{spec['normalization']}` (pixels / image size, channels x, y, score), "
        f"in_channels {spec['in_channels']}"
        + "".join(f", {flag} (not PYSKL: `ModelSpec.{flag}`)"
                  for flag in ("recenter", "rescale", "bone_lengths") if spec.get(flag)),
        "- classes (label order): " + ", ".join(f"{i} {n}" for i, n in enumerate(names)), "",
        "## Results", "",
        row("split", "clips", "samples", "top-1", "top-5", "mean class acc"), "|---|---|---|---|---|---|",
    ]
    val = s.get("val") or {}
    if val:
        lines.append(row(f"val (best epoch {s['best_epoch']})", 1, val["num_samples"], pct(val["top1"]),
                         pct(val["top5"]), pct(val["mean_class_acc"])))
    for key in tests:
        m = s[key]
        lines.append(row("test", m["num_clips"], m["num_samples"], pct(m["top1"]), pct(m["top5"]),
                         pct(m["mean_class_acc"])))
    for subset in subsets:
        lines += ["", f"Subset `{subset}` (test samples of these classes):", "",
                  row("clips", "samples", "top-1 over all classes", "top-1 within the subset"),
                  "|---|---|---|---|"]
        for key in tests:
            r = s[key]["subsets"][subset]
            lines.append(row(s[key]["num_clips"], r["num_samples"], pct(r["top1_all_classes"]),
                             pct(r["top1_within"])))
    ensemble = len(members) > 1
    if ensemble:
        lines += ["", "Ensemble members (each an ordinary checkpoint; the rows above are their mean "
                  "probability):", "", row("file", "seed", "best epoch", "test top-1, 1 clip"),
                  "|---|---|---|---|"]
        lines += [row(f"`{m['file']}`", m["seed"], m["best_epoch"], pct(m["test_1clip_top1"]))
                  for m in members]
    last = s["epochs"][-1]
    first = f" of `{members[0]['file']}`" if ensemble else ""
    lines += ["", ("Per member, training" if ensemble else "Training")
              + f": {len(s['epochs'])} epochs, {last['step']} steps at batch {cfg.batch_size}, "
              f"{s['train_time_s'] / 60:.1f} min of training steps ({cfg.threads or 'default'} thread(s) "
              "on a shared 2-core CPU); validation and test time not included.", "",
              f"Per epoch (from log.jsonl{first}):",
              "", row("epoch", "train loss", "val top-1", "val mean class acc", "seconds"),
              "|---|---|---|---|---|"]
    for h in s["epochs"]:
        lines.append(row(h["epoch"], f"{h['train_loss']:.4f}", pct(h.get("val_top1", float("nan"))),
                         pct(h.get("val_mean_class_acc", float("nan"))), f"{h['time_s']:.0f}"))
    extra = ", the other members and `ensemble.yaml` (what the model's name loads)" if ensemble else ""
    lines += ["", f"Files: `model.pth` (weights + spec){extra}, `config.yaml` (the resolved training "
              "config), `label_map.txt`, `metrics.json` (all numbers, confusion matrices), "
              "`confusion_matrix.png`, `curves.png`.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
