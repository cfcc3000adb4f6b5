"""`action-recognition video` on the real demo video and on a video with nobody in it (real pose weights)."""

from __future__ import annotations

import csv
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from random_model import save_random_model

from action_recognition.paths import demo_video

LABELS = ["stand", "walk", "wave"]


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    # Random weights: these tests check behaviour, not which label is right.
    return save_random_model(tmp_path_factory.mktemp("model"), LABELS, seed=0)


def video_tool(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "action_recognition.cli.main", "video", *args],
        cwd=cwd,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=600,
    )


def read_frames(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, image = cap.read()
        if not ok:
            return frames
        frames.append(image)


def test_demo_video(installed_pose_assets, model_path, tmp_path) -> None:
    out = tmp_path / "annotated.mp4"
    run = video_tool(
        str(demo_video()),
        str(out),
        "--action-model",
        str(model_path),
        "--imgsz",
        "320",
        "--csv",
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "230/230" in run.stderr, "a progress bar on stderr"

    source, annotated = read_frames(demo_video()), read_frames(out)
    assert len(annotated) == len(source) == 230
    assert annotated[0].shape == source[0].shape
    data = json.loads(out.with_suffix(".json").read_text())
    frames = data["frames"]
    assert [f["frame"] for f in frames] == list(range(230))
    assert data["summary"]["model"]["labels"] == LABELS

    # Labels per person, renewed as the window slides: several results for one track, at different frames.
    labelled = [p for f in frames for p in f["persons"] if p["label"]]
    assert labelled and {p["label"] for p in labelled} <= set(LABELS)
    updates: dict[int, list[int]] = {}
    for p in (p for f in frames for p in f["persons"] if p["updated"]):
        updates.setdefault(p["track_id"], []).append(p["frame"])
    busiest = max(updates.values(), key=len)
    assert len(busiest) >= 5 and all(b - a >= 5 for a, b in itertools.pairwise(busiest))

    # Drawn: where a person was found the frame differs from the source; the CSV holds the same rows.
    with_people = [f["frame"] for f in frames if f["persons"]]
    i = with_people[len(with_people) // 2]
    assert np.abs(annotated[i].astype(int) - source[i].astype(int)).mean() > 0.5
    with out.with_suffix(".csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == sum(len(f["persons"]) for f in frames)
    assert rows[0].keys() >= {"frame", "track_id", "label", "score", "x1", "y2"}


def test_video_with_nobody_is_written_unchanged(model_path, tmp_path) -> None:
    src = tmp_path / "empty.mp4"
    writer = cv2.VideoWriter(str(src), cv2.VideoWriter_fourcc(*"mp4v"), 15.0, (320, 240))
    rng = np.random.default_rng(0)
    for i in range(24):  # a drifting colour gradient with noise: no person anywhere
        frame = np.zeros((240, 320, 3), np.uint8)
        frame[:] = np.linspace(0, 200, 320, dtype=np.uint8)[None, :, None]
        frame[..., 1] = (frame[..., 1].astype(int) + 8 * i) % 256
        writer.write(cv2.add(frame, rng.integers(0, 20, frame.shape, dtype=np.uint8)))
    writer.release()
    out = tmp_path / "out" / "empty_annotated.mp4"
    run = video_tool(
        str(src), str(out), "--action-model", str(model_path), "--imgsz", "320", "--no-progress", cwd=tmp_path
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "nobody was detected" in run.stdout
    assert out.read_bytes() == src.read_bytes()
    data = json.loads(out.with_suffix(".json").read_text())
    assert data["summary"]["unchanged"] and data["summary"]["frames"] == 24
    assert all(f["persons"] == [] for f in data["frames"])


def test_bad_input_is_reported(model_path, tmp_path) -> None:
    run = video_tool(
        str(tmp_path / "missing.mp4"),
        str(tmp_path / "o.mp4"),
        "--action-model",
        str(model_path),
        "--no-progress",
        cwd=tmp_path,
    )
    assert run.returncode == 1 and "not found" in run.stdout


@pytest.mark.parametrize("name", ["truncated.pth", "random.pth", "corrupt.onnx", "foreign.onnx"])
def test_bad_model_file_is_one_line(model_path, tmp_path, name) -> None:
    """A cut .pth or a corrupt/foreign .onnx used to end the tool in a traceback."""
    from bad_model_files import bad_model_files

    bad = bad_model_files(tmp_path / "models", model_path)[name]
    run = video_tool(str(demo_video()), str(tmp_path / "o.mp4"), "--action-model", str(bad), "--no-progress",
                     "--max-frames", "2", cwd=tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    lines = [line for line in run.stdout.splitlines() if line.startswith("action-recognition video:")]
    assert len(lines) == 1 and name in lines[0], run.stdout


def test_truncated_video_is_flagged_not_passed_off_as_complete(model_path, tmp_path) -> None:
    """A cut file was processed up to the cut with exit 0 and no warning."""
    data = demo_video().read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 10])
    out = tmp_path / "o.mp4"
    run = video_tool(str(cut), str(out), "--action-model", str(model_path), "--no-progress", "--imgsz", "320",
                     cwd=tmp_path)
    assert run.returncode == 3, run.stdout + run.stderr
    summary = json.loads(out.with_suffix(".json").read_text())["summary"]
    decoded, missing = summary["frames"], summary["frames_missing"]
    assert 0 < decoded < 230 and summary["frames_declared"] == 230 and missing == 230 - decoded
    assert f"warning: {cut}: only {decoded} of the 230 frames" in run.stdout
    assert f"INCOMPLETE: {missing} of the input's 230 frames" in run.stdout


def test_tiny_video_names_the_real_reason(model_path, tmp_path) -> None:
    """A 1x1 video failed with "cannot write ... with codec 'mp4v'", blaming the codec."""
    tiny = tmp_path / "tiny.avi"
    writer = cv2.VideoWriter(str(tiny), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (1, 1))
    for i in range(5):
        writer.write(np.full((1, 1, 3), 40 * i, np.uint8))
    writer.release()
    run = video_tool(str(tiny), str(tmp_path / "o.mp4"), "--action-model", str(model_path), "--no-progress",
                     cwd=tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "frames are 1x1 pixels; too small to show a person" in run.stdout
    assert "codec 'mp4v'" not in run.stdout


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stop_signal_ends_with_one_line(model_path, tmp_path, sig) -> None:
    """SIGTERM used to kill the tool silently (143) and Ctrl-C printed a KeyboardInterrupt traceback."""
    out = tmp_path / "o.mp4"
    proc = subprocess.Popen(
        [sys.executable, "-m", "action_recognition.cli.main", "video", str(demo_video()), str(out),
         "--action-model", str(model_path), "--no-progress", "--imgsz", "320"],
        cwd=tmp_path, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        for _ in range(1200):  # the writer creates OUTPUT once models are loaded: processing has begun
            if out.exists() or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert proc.poll() is None, proc.communicate()[0]
        proc.send_signal(sig)
        log = proc.communicate(timeout=60)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + sig, log
    assert "Traceback" not in log and "KeyboardInterrupt" not in log, log
    assert f"stopped by {sig.name}" in log
