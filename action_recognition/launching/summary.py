"""The demo's end-of-run numbers: people tracked, labels over time, frames, latency; one screen of text."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

MAX_SEGMENTS_SHOWN = 5  # per person, so the summary stays on one screen


@dataclass
class TrackInfo:
    frames: int = 0
    first_ns: int = 0
    last_ns: int = 0
    first_centre: tuple[float, float] = (0.0, 0.0)
    last_centre: tuple[float, float] = (0.0, 0.0)


@dataclass
class DemoSummary:
    video: str
    fps: float
    published: int = 0
    processed: int = 0
    video_frames_written: int = 0
    wall_s: float = 0.0
    t0_ns: int | None = None
    stopped_early: bool = False
    tracks: dict[int, TrackInfo] = field(default_factory=dict)
    # per track: (stamp ns, label, score) of every result
    results: dict[int, list[tuple[int, str, float]]] = field(default_factory=dict)
    action_messages: int = 0
    pose_latency_ms: list[float] = field(default_factory=list)
    action_latency_ms: list[float] = field(default_factory=list)
    pose_diagnostics: dict[str, str] = field(default_factory=dict)

    def add_skeletons(self, msg: Any, stamp: int, received_ns: int) -> None:
        self.processed += 1
        self.pose_latency_ms.append((received_ns - stamp) / 1e6)
        for sk in msg.skeletons:
            x1, y1, x2, y2 = (float(v) for v in sk.bbox)
            centre = ((x1 + x2) / 2, (y1 + y2) / 2)
            t = self.tracks.get(int(sk.track_id))
            if t is None:
                t = self.tracks[int(sk.track_id)] = TrackInfo(first_ns=stamp, first_centre=centre)
            t.frames += 1
            t.last_ns, t.last_centre = stamp, centre

    def add_actions(self, msg: Any, stamp: int, received_ns: int) -> None:
        self.action_messages += 1
        if not msg.actions:
            return
        self.action_latency_ms.append((received_ns - stamp) / 1e6)
        for a in msg.actions:
            self.results.setdefault(int(a.track_id), []).append((stamp, a.label, float(a.score)))

    def _t(self, stamp: int) -> float:
        return (stamp - (self.t0_ns or 0)) / 1e9 if self.t0_ns is not None else 0.0

    def segments(self, track_id: int) -> list[dict[str, Any]]:
        """Runs of the same label: [{label, start_s, end_s, results, mean_score}] in video time."""
        out: list[dict[str, Any]] = []
        for stamp, label, score in self.results.get(track_id, []):
            if out and out[-1]["label"] == label:
                seg = out[-1]
                seg["end_s"] = self._t(stamp)
                seg["results"] += 1
                seg["_scores"].append(score)
            else:
                out.append({"label": label, "start_s": self._t(stamp), "end_s": self._t(stamp), "results": 1,
                            "_scores": [score]})
        for seg in out:
            seg["mean_score"] = round(float(np.mean(seg.pop("_scores"))), 3)
            seg["start_s"], seg["end_s"] = round(seg["start_s"], 2), round(seg["end_s"], 2)
        return out

    def to_dict(self) -> dict[str, Any]:
        def stats(values: list[float]) -> dict[str, float | None]:
            if not values:
                return {"median": None, "p95": None, "max": None}
            return {k: round(float(f(values)), 1) for k, f in
                    (("median", np.median), ("p95", lambda v: np.percentile(v, 95)), ("max", np.max))}

        return {
            "video": self.video,
            "fps": self.fps,
            "wall_s": round(self.wall_s, 2),
            "stopped_early": self.stopped_early,
            "frames": {
                "published": self.published,
                "processed": self.processed,
                "dropped": max(self.published - self.processed, 0),
                "pose_node": self.pose_diagnostics,
                "annotated_video": self.video_frames_written,
            },
            "people": {
                str(tid): {
                    "frames": t.frames,
                    "first_s": round(self._t(t.first_ns), 2),
                    "last_s": round(self._t(t.last_ns), 2),
                    "first_centre": [round(c, 1) for c in t.first_centre],
                    "last_centre": [round(c, 1) for c in t.last_centre],
                    "labels": self.segments(tid),
                }
                for tid, t in sorted(self.tracks.items())
            },
            "action_messages": self.action_messages,
            "latency_ms": {"image_to_skeletons": stats(self.pose_latency_ms),
                           "image_to_actions": stats(self.action_latency_ms)},
        }

    def render(self, files: dict[str, Path]) -> str:
        d = self.to_dict()
        fr = d["frames"]
        video_s = self.published / self.fps if self.fps else 0.0
        lines = [
            "",
            "=" * 72,
            f"demo {'stopped early' if self.stopped_early else 'finished'} in {self.wall_s:.1f} s: "
            f"{Path(self.video).name}, {video_s:.1f} s of video at {self.fps:g} fps",
            f"frames: {fr['published']} published, {fr['processed']} processed by the pose node, "
            f"{fr['dropped']} dropped ({100 * fr['dropped'] / max(fr['published'], 1):.0f}%: "
            "pose inference slower than the camera)",
            f"people tracked: {len(self.tracks)}",
        ]
        for tid, person in d["people"].items():
            segs = person["labels"]
            shown = ", ".join(f"{s['label']} {s['start_s']:.1f}-{s['end_s']:.1f} s ({s['mean_score']:.2f})"
                              for s in segs[:MAX_SEGMENTS_SHOWN])
            hidden = len(segs) - MAX_SEGMENTS_SHOWN
            more = f", ... {hidden} more changes" if hidden > 0 else ""
            lines.append(f"  id {tid:>3}: {person['frames']:>4} frames, {person['first_s']:.1f}-"
                         f"{person['last_s']:.1f} s; " + (shown + more if segs else "no label yet"))
        lat = d["latency_ms"]

        def fmt(s: dict[str, float | None]) -> str:
            return "n/a" if s["median"] is None else f"median {s['median']:.0f} ms, p95 {s['p95']:.0f} ms"

        lines.append(f"latency image -> skeletons: {fmt(lat['image_to_skeletons'])}; "
                     f"image -> actions: {fmt(lat['image_to_actions'])}")
        lines.append("outputs: " + ", ".join(str(p) for p in files.values()))
        lines.append("=" * 72)
        return "\n".join(lines)
