"""`bag eval` end to end: a real action node process, a synthetic skeleton bag, the report.

The expected accuracy is computed here without ROS, bags or matching code: the same model and the
same recognizer settings as the node's defaults, fed the same frames, compared with each sample's
label. The node's result, after replay, DDS and matching, must be exactly that.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from random_model import save_random_model

from action_recognition.bag.io import BagWriter, iter_messages, open_bag, read_summary
from action_recognition.bag.make import make_skeleton_bag, sample_track_id
from action_recognition.bag.typestore import typestore
from action_recognition.data.synth.generator import SynthConfig, generate_dataset

CLASSES = ["walking", "jump up"]
FRAMES = 48
CLI = [sys.executable, "-m", "action_recognition.cli.main", "bag"]


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    # Random weights: these tests check behaviour, not which label is right.
    return save_random_model(tmp_path_factory.mktemp("model"), CLASSES, seed=3)


@pytest.fixture(scope="module")
def bags(tmp_path_factory) -> dict[str, Path]:
    data = generate_dataset(SynthConfig(classes=CLASSES, second_person_prob=0.5), {"test": 4}, seed=11)
    for s in data["annotations"]:
        s["keypoint"], s["keypoint_score"] = s["keypoint"][:, :FRAMES], s["keypoint_score"][:, :FRAMES]
    root = tmp_path_factory.mktemp("bags")
    make_skeleton_bag(data, data["annotations"], root / "gt", storage="mcap")
    store = typestore()
    with open_bag(root / "gt") as reader, BagWriter(root / "no_gt", "sqlite3") as out:
        out.add_topic("/skeletons", "action_recognition/msg/SkeletonArray")
        for topic, msgtype, ts, raw in iter_messages(reader, ["/skeletons"]):
            out.write(topic, ts, store.deserialize_cdr(raw, msgtype))
    return {"gt": root / "gt", "no_gt": root / "no_gt", "data": data}  # type: ignore[dict-item]


def expected_windows(bag: Path, model: Path) -> tuple[int, int]:
    """(correct, total) windows of the labelled tracks, from the recognizer fed the bag's frames."""
    from action_recognition.nodes.action_node import (
        ACTION_NODE_PARAMS,
        recognizer_config,
        skeletons_to_frames,
    )
    from action_recognition.nodes.params import defaults
    from action_recognition.recognition import ActionRecognizer, load_action_model

    p = defaults(ACTION_NODE_PARAMS)
    loaded = load_action_model(str(model), None, None, "cpu", p["threads"] or None)
    rec = ActionRecognizer(loaded.backend, loaded.spec, loaded.labels, recognizer_config(p))
    truth = {g.track_id: g.label for g in read_summary(bag).ground_truth}
    store = typestore()
    correct = total = 0
    with open_bag(bag) as reader:
        for _, msgtype, _, raw in iter_messages(reader, ["/skeletons"]):
            msg = store.deserialize_cdr(raw, msgtype)
            stamp = msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec
            frames = skeletons_to_frames(msg, False)
            # the node's default round policy (spread rounds), one round per message with people
            for r in rec.feed(stamp, frames, (msg.image_width, msg.image_height), spread=p["spread_rounds"]):
                if r.track_id in truth:
                    total += 1
                    correct += r.label == truth[r.track_id]
    return correct, total


def run_eval(bag: Path, out: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, "eval", str(bag), "--out", str(out), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=out.parent,
    )


def test_eval_accuracy_equals_the_offline_recognizer(bags, model_path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    res = run_eval(
        bags["gt"],
        out,
        "--direct",
        "--action-model",
        str(model_path),
        "--rate",
        "2",
        "--min-accuracy",
        "1.01",
        "--max-latency-ms",
        "10000",  # the gate's plumbing, not the machine's speed: a loaded 2-core runner stays far below
    )
    assert res.returncode == 1, res.stdout + res.stderr  # the impossible accuracy gate fails the run
    assert "FAILED min_accuracy" in res.stderr and "max_latency_ms" not in res.stderr
    report = json.loads((out / "report.json").read_text())
    msgs, acc, lat = report["messages"], report["accuracy"], report["latency_ms"]
    assert msgs["sent"] == msgs["in_bag"] == msgs["received_by_pipeline"] == 4 * FRAMES
    assert msgs["dropped"] == 0
    correct, total = expected_windows(bags["gt"], model_path)
    assert total >= 4 * 5  # every sample's actor got several windows
    assert (acc["correct"], acc["windows_matched"]) == (correct, total)
    assert acc["top1"] == pytest.approx(correct / total)
    assert acc["windows_unmatched"] == msgs["windows_received"] - total  # bystanders: no ground truth
    assert acc["segments_total"] == 4 and acc["segments_without_windows"] == 0
    assert sum(row["windows"] for row in acc["per_class"].values()) == total
    assert np.isfinite([lat["p50"], lat["p95"], lat["max"]]).all() and 0 < lat["p50"] <= lat["p95"] < 10000
    assert lat["count"] == msgs["actions_received"] > 0 and msgs["actions_without_source_stamp"] == 0
    assert (
        report["thresholds"]["min_accuracy"]["ok"] is False and report["thresholds"]["max_latency_ms"]["ok"]
    )
    md = (out / "report.md").read_text()
    assert "top-1 per window" in md and "segment accuracy" in md and "p95" in md and "FAILED" in md
    assert (out / "confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sample_track_id(0, 0) in {r["track_id"] for r in acc["segments"]}


@pytest.mark.parametrize("launcher", [False, True])
def test_a_node_far_behind_its_input_still_labels_every_window_as_offline(
    bags, model_path, tmp_path: Path, launcher: bool
) -> None:
    """Replayed 30x faster than recorded, the node (one inference thread) falls far behind: its
    rounds wait, decided as the frames came, and run in order. Nothing is dropped or merged, and the
    labels are exactly the frame-by-frame recognizer's. (Before: late rounds were merged, so the node
    labelled fewer, later windows; and a depth-10 queue dropped messages under load.)"""
    out = tmp_path / "behind"
    res = run_eval(bags["gt"], out, *([] if launcher else ["--direct"]), "--action-model", str(model_path),
                   "--rate", "30")
    assert res.returncode == 0, res.stdout + res.stderr
    report = json.loads((out / "report.json").read_text())
    msgs, acc = report["messages"], report["accuracy"]
    assert msgs["sent"] == msgs["received_by_pipeline"] == 4 * FRAMES and msgs["dropped"] == 0
    (node,) = [v for k, v in report["diagnostics"].items() if k.startswith("action_node:")]
    assert int(node["backlog_max_messages"]) > 10, node  # it really fell behind (beyond the live depth)
    assert int(node["merged_windows_total"]) == msgs["windows_merged"] == 0
    assert (acc["correct"], acc["windows_matched"]) == expected_windows(bags["gt"], model_path)


def test_a_node_behind_by_more_than_its_queue_merges_rounds_and_says_so(bags, model_path, tmp_path) -> None:
    """The live bound: a node more than qos_depth (20) messages behind merges its late rounds into one
    label per track on the newest window (bounded latency), counted and logged, never silently. With
    stride 0 every message makes a forward pass per track, more work than taking the message in, so
    the worker falls further behind with every message whatever the machine's load."""
    out = tmp_path / "merged"
    res = run_eval(bags["gt"], out, "--direct", "--action-model", str(model_path), "--rate", "10",
                   "--launch-arg", "qos_depth:=20", "--launch-arg", "stride_s:=0")
    assert res.returncode == 0, res.stdout + res.stderr
    report = json.loads((out / "report.json").read_text())
    (node,) = [v for k, v in report["diagnostics"].items() if k.startswith("action_node:")]
    merged = int(node["merged_windows_total"])
    assert merged > 0 and report["messages"]["windows_merged"] == merged, node
    assert "| windows merged |" in (out / "report.md").read_text()
    assert int(node["windows_classified_total"]) == report["messages"]["windows_received"]
    log = (out / "pipeline.log").read_text()
    assert "late windows merged into the newest ones" in log
    assert f"{merged} windows merged (inference fell behind)" in log  # the summary line


def test_eval_ci_gate_through_the_launcher_passes(bags, model_path, tmp_path: Path) -> None:
    # The CI step: default launch path (`action-recognition launch action` when present), thresholds.
    out = tmp_path / "ci"
    res = run_eval(
        bags["gt"],
        out,
        "--action-model",
        str(model_path),
        "--rate",
        "2",
        "--min-accuracy",
        "0.0",
        "--max-latency-ms",
        "10000",  # the gate's plumbing, not the machine's speed: a loaded 2-core runner stays far below
    )
    assert res.returncode == 0, res.stdout + res.stderr
    report = json.loads((out / "report.json").read_text())
    assert all(g["ok"] for g in report["thresholds"].values()) and len(report["thresholds"]) == 2
    assert report["accuracy"]["windows_matched"] > 0 and report["messages"]["dropped"] == 0


def test_eval_without_ground_truth_reports_latency_only(bags, model_path, tmp_path: Path) -> None:
    out = tmp_path / "latency"
    res = run_eval(
        bags["no_gt"],
        out,
        "--direct",
        "--action-model",
        str(model_path),
        "--rate",
        "2",
        "--max-latency-ms",
        "10000",  # the gate's plumbing, not the machine's speed: a loaded 2-core runner stays far below
    )
    assert res.returncode == 0, res.stdout + res.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["accuracy"] is None and report["ground_truth_segments"] == 0
    assert report["latency_ms"]["count"] > 0 and report["latency_ms"]["p95"] < 10000
    assert "latency-only" in (out / "report.md").read_text() and not (out / "confusion.png").exists()
    # An accuracy gate cannot pass without ground truth.
    report_gate = run_eval(
        bags["no_gt"], tmp_path / "gate", "--min-accuracy", "0.5", "--startup-timeout", "0.1"
    )
    assert report_gate.returncode != 0


def test_eval_faster_than_real_time_reports_drops_and_ends(bags, model_path, tmp_path: Path) -> None:
    out = tmp_path / "fast"
    start = time.monotonic()
    res = run_eval(
        bags["gt"],
        out,
        "--direct",
        "--action-model",
        str(model_path),
        "--rate",
        "200",
        "--launch-arg",
        "qos_depth:=1",
        "--drain",
        "1",
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert time.monotonic() - start < 120
    msgs = json.loads((out / "report.json").read_text())["messages"]
    assert msgs["sent"] == 4 * FRAMES and msgs["received_by_pipeline"] is not None
    assert msgs["dropped"] == msgs["sent"] - msgs["received_by_pipeline"]
    assert msgs["dropped"] > 0, msgs  # 200x with a one-message queue: the node cannot keep up


def test_ctrl_c_mid_replay_reports_what_was_measured(bags, model_path, tmp_path: Path) -> None:
    out = tmp_path / "interrupted"
    proc = subprocess.Popen(
        [
            *CLI,
            "eval",
            str(bags["gt"]),
            "--out",
            str(out),
            "--action-model",
            str(model_path),
            "--rate",
            "0.5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 120
        for line in proc.stdout:
            if line.startswith("replaying") or time.monotonic() > deadline:
                break
        time.sleep(2.0)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    report = json.loads((out / "report.json").read_text())
    assert report["interrupted"] is True
    assert 0 < report["messages"]["sent"] < 4 * FRAMES
    assert "Interrupted" in (out / "report.md").read_text()
    assert "stopping" in (out / "pipeline.log").read_text()  # the nodes were stopped, not left behind


def test_eval_of_a_truncated_bag_fails_fast_and_clearly(bags, tmp_path: Path) -> None:
    import shutil

    bag = tmp_path / "cut"
    shutil.copytree(bags["gt"], bag)
    f = next(bag.glob("*.mcap"))
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 3])
    res = run_eval(bag, tmp_path / "r", timeout=60)
    assert res.returncode == 2 and "corrupt or truncated" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "r" / "pipeline.log").exists()  # nothing was started


def test_two_pipelines_in_one_domain_each_report_their_own_counts(bags, model_path, tmp_path: Path) -> None:
    """Both launch through `action-recognition launch`, whose nodes publish on the global /diagnostics:
    with status names that were not namespaced, each eval read the other's counters ("received 0
    dropped 592"). Each must count exactly its own replay, at its own rate."""
    evals = []
    for name, rate in (("one", "2"), ("two", "3")):
        out = tmp_path / name
        cmd = [*CLI, "eval", str(bags["gt"]), "--out", str(out), "--action-model", str(model_path),
               "--rate", rate]
        evals.append((out, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                            cwd=tmp_path)))
    for out, proc in evals:
        log, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, log
        report = json.loads((out / "report.json").read_text())
        msgs = report["messages"]
        # The node's own count, from its own log line at exit (two pipelines on a shared CPU may
        # lose a few messages in a full reader queue; what matters is whose count is reported).
        node_log = (out / "pipeline.log").read_text()
        own = re.findall(r"action_node\]: stopped: (\d+) skeleton arrays received", node_log)
        assert len(own) == 1, log
        assert msgs["sent"] == 4 * FRAMES and msgs["received_by_pipeline"] == int(own[0]), log
        assert msgs["dropped"] == msgs["sent"] - msgs["received_by_pipeline"]
        assert report["diagnostics"] and all(k.startswith("action_node:") for k in report["diagnostics"])


@pytest.mark.parametrize(("p95", "ok"), [(250.0, True), (250.001, False), (None, False)])
def test_latency_gate_passes_at_its_limit_and_fails_above_or_without_latencies(p95, ok) -> None:
    """The process tests set the latency gate far above any runner's latency; here its decision."""
    from action_recognition.bag.evaluate import EvalOptions, _gates

    gates = _gates({"accuracy": None, "latency_ms": {"p95": p95}}, EvalOptions(max_latency_ms=250.0))
    assert gates == {"max_latency_ms": {"value": p95, "limit": 250.0, "ok": ok}}
