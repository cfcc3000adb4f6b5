"""Benchmark results as Markdown tables (for docs) and JSON (for comparing releases)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return str(value)


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    """A Markdown table of `rows` with (key, header) `columns`."""
    lines = ["| " + " | ".join(h for _, h in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_fmt(r.get(k)) for k, _ in columns) + " |" for r in rows]
    return "\n".join(lines)


POSE_COLUMNS = [("backend", "backend"), ("imgsz", "imgsz"), ("bare_ms_p50", "bare track() ms p50"),
                ("node_ms_p50", "pose node ms p50"), ("node_ms_p95", "pose node ms p95"),
                ("bare_cpu_ms", "bare CPU ms/frame"), ("estimator_cpu_ms", "estimator CPU ms/frame"),
                ("node_cpu_ms", "node CPU ms/frame"), ("node_vs_bare_cpu", "node / bare (CPU)"),
                ("node_vs_bare_wall", "node / bare (p50)"), ("rss_mb", "node RSS MB"),
                ("people_per_frame", "people/frame")]
ACTION_COLUMNS = [("tracks", "tracks"), ("rate_hz", "Hz"), ("spread_rounds", "spread"),
                  ("tracks_per_round_mean", "tracks/round"),
                  ("latency_ms_p50", "latency p50"), ("latency_ms_p95", "latency p95"),
                  ("overhead_ms_p95", "node overhead p95"), ("node_cpu_ms_per_frame", "node CPU ms/frame"),
                  ("forward_cpu_ms_per_frame", "forward CPU ms/frame"),
                  ("overhead_cpu_ms_per_frame", "overhead CPU ms/frame"), ("core_share", "share of a core"),
                  ("windows_classified", "windows"), ("windows_due", "due"), ("frames_dropped", "dropped"),
                  ("sustained", "sustained"), ("rss_mb", "node RSS MB")]


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    parts = [f"Machine: {m['cpu']}, {m['cpus']} CPUs (load {m['load_1m_at_start']} at start, "
             f"{result.get('load_1m_at_end', '?')} at end), {m['date']}; node under test pinned to CPU(s) "
             f"{result['settings'].get('node_cpus')}."]
    if result.get("pose"):
        parts += ["", f"Pose, {result['settings']['camera']} frames of the demo video:", "",
                  table(result["pose"], POSE_COLUMNS)]
    action = result.get("action")
    if action:
        forward = action["forward_ms_per_track"]
        per_track = ", ".join(f"{k.replace('_', ' ')}: {v} ms" for k, v in forward.items())
        rate = result["settings"]["rate_hz"]
        parts += ["", f"Action model forward ({action.get('precision', 'fp32')}, {action.get('threads', 1)} "
                  f"thread(s), {action.get('workers', 1)} worker(s)), CPU ms per track ({per_track}).", "",
                  f"Action node, {action['model']}:", "", table(action["runs"], ACTION_COLUMNS), "",
                  f"Tracks sustained at {rate:g} Hz in these runs: {action['max_tracks_sustained']}; "
                  f"one core's capacity from CPU time: {action['tracks_one_core_cpu_estimate']} tracks"]
    pipe = result.get("pipeline")
    if pipe:
        rss_pose, rss_action = pipe["pose_node"].get("rss_mb"), pipe["action_node"].get("rss_mb")
        parts += ["", f"Pipeline (camera -> pose node {pipe['pose_backend']} imgsz {pipe['imgsz']} -> "
                  f"action node, both on one core): frame -> action latency p50 "
                  f"{_fmt(pipe['latency_ms_p50'])} ms, p95 {_fmt(pipe['latency_ms_p95'])} ms; "
                  f"{pipe['frames_through_pose']} of {pipe['frames_sent']} frames through the pose node; "
                  f"RSS pose node {_fmt(rss_pose)} MB, action node {_fmt(rss_action)} MB"]
    return "\n".join(parts)


def write_json(result: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path
