"""The action node in its own process: scripted skeleton streams in, /actions and the label map out.

These tests use a checkpoint with random weights: they check the node's behaviour (windows, batching,
bad input, errors); label correctness with the trained default model is tested separately.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from random_model import save_random_model
from ros_client import Client, start_node, stop

LABELS = ["sit", "stand", "walk"]


def frames(window: int, min_frames: int, stride: int) -> tuple[str, str, str]:
    """Window parameters (seconds) as frames of the 30 fps stream the client sends (the model's rate)."""
    return f"window_s:={window / 30}", f"min_window_s:={min_frames / 30}", f"stride_s:={stride / 30}"


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    # Random weights: these tests check behaviour, not which label is right.
    return save_random_model(tmp_path_factory.mktemp("model"), LABELS, seed=0)


def person(tid: int, frame: int, joints: int = 17) -> np.ndarray:
    rng = np.random.default_rng(tid * 7919 + frame)
    xy = 200 + 40 * tid + rng.normal(0, 4, (joints, 2))
    return np.column_stack([xy, rng.uniform(0.4, 1.0, joints)]).astype(np.float32)


@pytest.fixture
def running(model_path, tmp_path):
    ns = f"/action_test_{os.getpid()}_{time.monotonic_ns() % 100000}"
    procs: list[subprocess.Popen] = []
    clients: list[Client] = []

    def launch(*params: str) -> tuple[subprocess.Popen, Client]:
        proc = start_node(ns, f"model:={model_path}", *params, cwd=tmp_path)
        client = Client(ns)
        procs.append(proc)
        clients.append(client)
        assert client.spin_until(lambda: bool(client.label_maps), 60), "node did not come up"

        # Both directions matched, or the first results could go out before we listen.
        def matched() -> bool:
            return client.pub.get_subscription_count() > 0 and client.actions_sub.get_publisher_count() > 0

        assert client.spin_until(matched, 10)
        return proc, client

    yield launch
    for c in clients:
        c.close()
    for p in procs:
        if p.poll() is None:
            stop(p)


def test_labels_per_track_with_windows_and_label_map(running) -> None:
    proc, client = running(*frames(16, 8, 4))
    (label_map,) = client.label_maps
    assert list(label_map.labels) == LABELS and label_map.layout == "coco"
    # Bursts of `stride` frames, each sent once the previous round is out: the inference thread may
    # wake at any point of a burst, yet each burst makes each track due exactly once.
    bursts = [range(0, 8), range(8, 12), range(12, 16), range(16, 20)]
    for n, burst in enumerate(bursts, start=1):
        for f in burst:
            client.send(f, {3: person(3, f), 9: person(9, f)})
        assert client.spin_until(lambda n=n: len(client.actions_for(9)) >= n, 30)
    client.spin_until(lambda: False, 0.5)  # nothing more may come
    for tid in (3, 9):
        acts = client.actions_for(tid)
        assert len(acts) == 4  # frames 8, 12, 16, 20 (1-based): min_frames then every stride
        assert [a.num_frames for a in acts] == [8, 12, 16, 16]  # the window caps at 16
        for a in acts:
            assert len(a.probabilities) == 3 and abs(sum(a.probabilities) - 1) < 1e-4
            assert a.label == LABELS[a.class_id] and a.score == pytest.approx(max(a.probabilities))
        last = acts[-1]
        end = last.window_end.sec * 10**9 + last.window_end.nanosec
        start = last.window_start.sec * 10**9 + last.window_start.nanosec
        assert end == 19 * 33_333_333  # the newest input stamp
        assert start == 4 * 10**9 // 30  # the window's first frame on the model's 30 fps grid
    # One ActionArray per round (one batched forward). Rounds are spread (test_round_spreading.py):
    # tracks due together may go in one round or in consecutive ones, depending on when it runs.
    assert all(1 <= len(arr.actions) <= 2 for arr in client.actions)
    assert proc.poll() is None


def test_bad_input_is_dropped_and_counted_without_stopping(running) -> None:
    proc, client = running(*frames(16, 4, 4), "score_threshold:=0.99")
    for f in range(4):
        bad = person(1, f)
        bad[2, 0] = np.nan  # NaN joint: becomes a missing joint
        client.send(f, {1: bad, 2: person(2, f, joints=25)})  # track 2 has the wrong joint count
    assert client.spin_until(lambda: len(client.actions_for(1)) == 1, 20)
    client.send(2, {1: person(1, 2)})  # out of order: held, then dropped as the stream goes on
    client.send(3, {1: person(1, 3)})  # duplicate stamp
    client.send(10, {})  # nobody: an empty ActionArray
    assert client.spin_until(lambda: any(not arr.actions for arr in client.actions), 20)
    labelled = client.actions_for(1)
    assert len(labelled) == 1 and labelled[0].num_frames == 4  # the dropped frames did not count
    assert labelled[0].label == "unknown" and labelled[0].class_id == -1  # random weights < 0.99
    assert client.actions_for(2) == []
    assert proc.poll() is None
    out = stop(proc)
    assert "without 17 joints" in out and "the same stamp as the last one" in out and "NaN/inf" in out
    assert "broke the run of stamps" in out


def test_layout_mismatch_is_skipped_and_logged_without_flooding(running) -> None:
    proc, client = running(*frames(8, 2, 1))
    for f in range(6):
        client.send(f, {1: person(1, f, joints=25)}, layout="nturgb+d")
    client.spin_until(lambda: False, 2.0)
    assert client.actions == [] and proc.poll() is None
    out = stop(proc)
    assert out.count("skipped skeletons with layout 'nturgb+d': the model expects 'coco'") == 1  # throttled


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (["model:=/nonexistent/model.pth"], "does not exist"),
        (["labels:={labels}"], "2 labels but the model has 3 classes"),
        (["persons_per_sample:=3"], "parameter 'persons_per_sample' = 3 is outside [1, 2]"),
    ],
)
def test_startup_errors_are_fatal_and_clear(model_path, tmp_path, params, message) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text("a\nb\n")
    params = [p.format(labels=labels) for p in params]
    if not params[0].startswith("model:="):
        params = [f"model:={model_path}", *params]
    cmd = [sys.executable, "-m", "action_recognition.nodes.action_node", "--ros-args"]
    for p in params:
        cmd += ["-p", p]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.returncode == 1
    assert message in run.stdout + run.stderr
