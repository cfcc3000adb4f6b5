"""The `bag eval` report folder: report.json (everything), report.md (for people), confusion.png."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _fmt(value: Any, digits: int = 1, pct: bool = False) -> str:
    if value is None:
        return "n/a"
    if pct:
        return f"{100 * value:.{digits}f}%"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def confusion_png(confusion: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    m = np.asarray(confusion["matrix"], np.float64)
    rows, cols = confusion["rows"], confusion["cols"]
    norm = m / np.maximum(m.sum(1, keepdims=True), 1)
    size = 2.0 + 0.55 * max(len(cols), 2)
    fig, ax = plt.subplots(figsize=(size + 1.5, 1.5 + 0.55 * max(len(rows), 2) + 1.0))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for r in range(m.shape[0]):
        for c in range(m.shape[1]):
            if m[r, c]:
                ax.text(
                    c,
                    r,
                    int(m[r, c]),
                    ha="center",
                    va="center",
                    color="white" if norm[r, c] > 0.5 else "black",
                    fontsize=8,
                )
    ax.set_xticks(range(len(cols)), cols, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    ax.set_xlabel("predicted (windows)")
    ax.set_ylabel("ground truth")
    ax.set_title("bag eval: confusion (row-normalised colour, counts)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def markdown(report: dict[str, Any]) -> str:
    acc, lat, msgs = report.get("accuracy"), report["latency_ms"], report["messages"]
    lines = [f"# bag eval: {report['bag']}", ""]
    if report.get("interrupted"):
        lines += ["**Interrupted**: the numbers below cover the part that was replayed.", ""]
    for err in report.get("errors", []):
        lines += [f"**Error**: {err}", ""]
    lines += [
        f"- launch: `{report['launch']}`; replay rate {report['rate']}x",
        f"- model labels: {report.get('model_labels')}",
        f"- replay: {_fmt(report['replay']['wall_s'], 2)} s, timing error p95 "
        f"{_fmt(report['replay']['timing_error_ms']['p95'], 2)} ms",
        "",
        "## Accuracy",
        "",
    ]
    if acc is None:
        lines += ["No ground truth in the bag: latency-only report.", ""]
    else:
        lines += [
            f"- top-1 per window: **{_fmt(acc['top1'], pct=True)}** "
            f"({acc['correct']}/{acc['windows_matched']} windows; "
            f"{acc['windows_unmatched']} without ground truth)",
            f"- segment accuracy: **{_fmt(acc['segment_accuracy'], pct=True)}** ({acc['segments_correct']}/"
            f"{acc['segments_total']} segments; {acc['segments_without_windows']} got no window)",
            "",
            "| class | windows | correct | accuracy |",
            "|---|---|---|---|",
        ]
        for name, row in acc["per_class"].items():
            lines.append(
                f"| {name} | {row['windows']} | {row['correct']} | {_fmt(row['accuracy'], pct=True)} |"
            )
        lines += ["", "![confusion matrix](confusion.png)", ""]
    lines += [
        "## Latency (replay publish of the source message -> /actions receipt)",
        "",
        f"p50 {_fmt(lat['p50'])} ms, p95 {_fmt(lat['p95'])} ms, max {_fmt(lat['max'])} ms "
        f"over {lat['count']} /actions messages",
        "",
        "## Messages",
        "",
        "| | count |",
        "|---|---|",
    ]
    keys = ("sent", "received_by_pipeline", "dropped", "actions_received", "windows_received",
            "windows_merged")
    for key in keys:
        lines.append(f"| {key.replace('_', ' ')} | {_fmt(msgs.get(key))} |")
    rate = report["processing_rate"]
    lines += [
        "",
        f"Processing rate: {_fmt(rate['input_hz'])} input messages/s processed, "
        f"{_fmt(rate['actions_hz'])} /actions messages/s.",
        "",
    ]
    gates = report.get("thresholds") or {}
    if gates:
        lines += ["## Thresholds", ""]
        lines += [
            f"- {k}: {'ok' if v['ok'] else 'FAILED'} ({v['value']} vs {v['limit']})" for k, v in gates.items()
        ]
        lines.append("")
    return "\n".join(lines)


def write_report(report: dict[str, Any], out_dir: str | Path) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    acc = report.get("accuracy")
    if acc is not None and acc["confusion"]["rows"]:
        confusion_png(acc["confusion"], out / "confusion.png")
    (out / "report.json").write_text(json.dumps(report, indent=2, default=float) + "\n")
    (out / "report.md").write_text(markdown(report))
    return out
