"""`action-recognition bench` in a tiny configuration: real nodes, real models, plausible JSON.

No timing thresholds: the figures depend on the machine. The test checks that each figure is really
measured (present, positive, consistent with the others) and that bad arguments are refused.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = [str(Path(sys.prefix) / "bin" / "action-recognition"), "bench"]


def test_bench_tiny_run_writes_plausible_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    run = subprocess.run(
        [*BENCH, "--tracks", "2", "--camera", "320x240@15", "--backends", "pytorch", "--imgsz", "160",
         "--pose-frames", "4", "--seconds", "1", "--json", str(out), "--logs", str(tmp_path / "logs")],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads(out.read_text())
    assert result["machine"]["cpus"] >= 1 and result["settings"]["camera"] == "320x240@15"
    (pose,) = result["pose"]
    assert (pose["backend"], pose["imgsz"], pose["lost"]) == ("pytorch", 160, 0)
    for key in ("bare_ms_p50", "estimator_ms_p50", "node_ms_p50", "bare_cpu_ms", "node_cpu_ms"):
        assert pose[key] > 0, key
    assert pose["node_ms_p95"] >= pose["node_ms_p50"]
    assert pose["rss_mb"] > 100  # torch + Ultralytics are loaded in the pose node
    action = result["action"]
    assert action["backend"].endswith("OnnxRuntimeBackend")  # alone, or an ensemble's members
    assert all(v > 0 for v in action["forward_ms_per_track"].values())
    assert [r["tracks"] for r in action["runs"]] == [1, 2]
    for r in action["runs"]:
        assert r["frames_received"] == r["frames_sent"] > 0 and r["frames_dropped"] == 0
        assert r["windows_classified"] > 0 and r["latency_ms_p95"] >= r["latency_ms_p50"] > 0
        assert 0 < r["rss_mb"] <= r["peak_rss_mb"]
        assert r["torch_loaded"] is False  # the default model runs from its ONNX export
        assert r["node_cpu_ms_per_frame"] > r["forward_cpu_ms_per_frame"] > 0  # the node does more
    assert action["max_tracks_sustained"] in (0, 1, 2)
    assert action["tracks_one_core_cpu_estimate"] >= 1
    pipe = result["pipeline"]  # demo video -> pose node -> action node, 3 s at 15 Hz
    assert pipe["frames_sent"] == 45 and 0 < pipe["frames_through_pose"] <= 45
    assert pipe["pose_node"]["rss_mb"] > pipe["action_node"]["rss_mb"] > 0
    if pipe["labelled_frames"]:  # the demo's walker is tracked long enough for a label (not guaranteed)
        assert pipe["latency_ms_p95"] >= pipe["latency_ms_p50"] > 0
    assert "| pytorch | 160 |" in run.stdout and "Pipeline (camera" in run.stdout  # the Markdown


@pytest.mark.parametrize("args, message", [
    (["--camera", "640x480"], "WIDTHxHEIGHT@FPS"),
    (["--tracks", "0"], "must be positive"),
    (["--threads", "0"], "must be positive"),
    (["--workers", "0"], "must be positive"),
    (["--node-cpus", "4096"], "--node-cpus 4096: CPUs available here are"),
    (["--precision", "int4"], "invalid choice: 'int4'"),
])
def test_bench_refuses_bad_arguments(args: list[str], message: str, tmp_path: Path) -> None:
    run = subprocess.run([*BENCH, *args], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.returncode == 2 and message in run.stderr
