"""What a data set holds: classes, counts per split, frame statistics, and skeleton strips drawn to a PNG."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from action_recognition.data.format import class_names

_LAYOUT_BY_JOINTS = {17: "coco", 25: "nturgb+d", 18: "openpose"}


def guess_layout(data: dict[str, Any]) -> str | None:
    """The stored layout name, else the built-in layout with the same joint count."""
    if data.get("layout"):
        return str(data["layout"])
    if not data["annotations"]:
        return None
    return _LAYOUT_BY_JOINTS.get(data["annotations"][0]["keypoint"].shape[2])


def dataset_stats(data: dict[str, Any]) -> dict[str, Any]:
    """Counts and frame/person/score statistics, as plain Python values."""
    anns = data["annotations"]
    names = class_names(data)
    frames = np.array([a["total_frames"] for a in anns]) if anns else np.zeros(1)
    persons = np.array([a["keypoint"].shape[0] for a in anns]) if anns else np.zeros(1)
    by_name = {a["frame_dir"]: a for a in anns}
    splits = {}
    for split, members in data["split"].items():
        counts = Counter(int(by_name[m]["label"]) for m in members if m in by_name)
        splits[split] = {names[k] if k < len(names) else str(k): counts[k] for k in sorted(counts)}
    stats: dict[str, Any] = {
        "samples": len(anns),
        "classes": names,
        "layout": guess_layout(data),
        "keypoint_shape": list(anns[0]["keypoint"].shape[2:]) if anns else None,
        "splits": splits,
        "frames": {"min": int(frames.min()), "mean": float(frames.mean()), "max": int(frames.max())},
        "persons": {"min": int(persons.min()), "mean": float(persons.mean()), "max": int(persons.max())},
    }
    fps = [a["fps"] for a in anns if "fps" in a]
    if fps:
        secs = np.array([a["total_frames"] / a["fps"] for a in anns if "fps" in a])
        stats["seconds"] = {"min": float(secs.min()), "mean": float(secs.mean()), "max": float(secs.max())}
    scores = [a["keypoint_score"] for a in anns[:500] if "keypoint_score" in a]
    if scores:
        flat = np.concatenate([s.ravel() for s in scores])
        stats["scores"] = {
            "mean_detected": float(flat[flat > 0].mean()) if (flat > 0).any() else 0.0,
            "zero_fraction": float((flat == 0).mean()),
        }
    return stats


def format_stats(stats: dict[str, Any]) -> str:
    """A human-readable report of dataset_stats()."""
    lines = [
        f"samples: {stats['samples']}  layout: {stats['layout']}  keypoint (V, C): {stats['keypoint_shape']}",
        f"frames per sample: min {stats['frames']['min']}, mean {stats['frames']['mean']:.1f}, "
        f"max {stats['frames']['max']}",
        f"persons per sample: min {stats['persons']['min']}, mean {stats['persons']['mean']:.2f}, "
        f"max {stats['persons']['max']}",
    ]
    if "seconds" in stats:
        s = stats["seconds"]
        lines.append(f"seconds per sample: min {s['min']:.1f}, mean {s['mean']:.1f}, max {s['max']:.1f}")
    if "scores" in stats:
        s = stats["scores"]
        lines.append(
            f"keypoint scores: mean {s['mean_detected']:.3f} (detected), zero {s['zero_fraction']:.1%}"
        )
    lines.append(f"classes ({len(stats['classes'])}):")
    width = max((len(c) for c in stats["classes"]), default=5)
    split_names = list(stats["splits"])
    lines.append("  " + "class".ljust(width) + "".join(f"{s:>9}" for s in split_names))
    for c in stats["classes"]:
        row = "".join(f"{stats['splits'][s].get(c, 0):>9}" for s in split_names)
        lines.append("  " + c.ljust(width) + row)
    return "\n".join(lines)


def draw_strips(
    data: dict[str, Any],
    out: str | Path,
    num_samples: int = 6,
    num_frames: int = 8,
    seed: int = 0,
) -> Path:
    """Draw `num_samples` samples (one per class first) as rows of `num_frames` skeletons; save a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    anns = data["annotations"]
    if not anns:
        raise ValueError("the data set has no samples to draw")
    names = class_names(data)
    rng = np.random.default_rng(seed)
    picked: list[int] = []
    for label in sorted({int(a["label"]) for a in anns}):  # one per class, then random others
        idx = [i for i, a in enumerate(anns) if int(a["label"]) == label]
        picked.append(int(rng.choice(idx)))
    picked = picked[:num_samples]
    rest = [i for i in range(len(anns)) if i not in picked]
    picked += [int(i) for i in rng.permutation(rest)[: num_samples - len(picked)]]
    edges: tuple = ()
    layout = guess_layout(data)
    if layout:
        try:
            from action_recognition.skeleton import get_layout

            edges = tuple(get_layout(layout).edges)
        except (ImportError, KeyError, ValueError, FileNotFoundError):
            edges = ()
    fig, axes = plt.subplots(
        len(picked), num_frames, figsize=(1.6 * num_frames, 2.2 * len(picked)), squeeze=False
    )
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
    for row, i in enumerate(picked):
        a = anns[i]
        kp = a["keypoint"]
        score = a.get("keypoint_score", np.ones(kp.shape[:3]))
        is3d = kp.shape[-1] == 3 and "keypoint_score" not in a
        xy = kp[..., :2] * (np.array([1.0, -1.0]) if is3d else 1.0)  # 3D: y up -> image y down
        valid = (score > 0.05) & np.any(kp != 0, -1)
        pts = xy[valid]
        lo, hi = (pts.min(0), pts.max(0)) if len(pts) else (np.zeros(2), np.ones(2))
        pad = 0.05 * max(hi - lo) + 1e-6
        t_idx = np.linspace(0, kp.shape[1] - 1, num_frames).round().astype(int)
        for col, t in enumerate(t_idx):
            ax = axes[row, col]
            ax.set_xlim(lo[0] - pad, hi[0] + pad)
            ax.set_ylim(hi[1] + pad, lo[1] - pad)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            for p in range(kp.shape[0]):
                c = colors[p % len(colors)]
                v = valid[p, t]
                for a_i, b_i in edges:
                    if v[a_i] and v[b_i]:
                        ax.plot(xy[p, t, [a_i, b_i], 0], xy[p, t, [a_i, b_i], 1], color=c, lw=1.2)
                ax.scatter(xy[p, t, v, 0], xy[p, t, v, 1], s=4, c=c)
            if col == 0:
                label = int(a["label"])
                ax.set_ylabel(names[label] if label < len(names) else str(label), fontsize=7)
            ax.set_title(f"t={t}", fontsize=6)
        last = axes[row, -1]
        last.text(1.02, 0.5, a["frame_dir"], transform=last.transAxes, fontsize=5, rotation=90, va="center")
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out
