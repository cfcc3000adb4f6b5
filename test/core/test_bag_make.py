"""bag make -> read back with rosbags -> the same data; damaged bags give one clear error."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from action_recognition.bag.io import BagError, iter_messages, open_bag, read_summary
from action_recognition.bag.make import DEFAULT_START_NS, make_skeleton_bag, make_video_bag, sample_track_id
from action_recognition.bag.typestore import typestore
from action_recognition.data.format import save_dataset
from action_recognition.data.synth.generator import SynthConfig, generate_dataset

CLASSES = ("walking", "standing still")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> tuple[dict, Path]:
    data = generate_dataset(SynthConfig(classes=CLASSES, second_person_prob=1.0), {"test": 3}, seed=5)
    for s in data["annotations"]:  # short samples keep the bag small
        s["keypoint"], s["keypoint_score"] = s["keypoint"][:, :40], s["keypoint_score"][:, :40]
        s["total_frames"] = 40
    path = save_dataset(data, tmp_path_factory.mktemp("data") / "d.pkl")
    return data, path


def _decoded(bag: Path) -> list[tuple[str, int, object]]:
    store = typestore()
    with open_bag(bag) as reader:
        return [(t, ts, store.deserialize_cdr(d, ty)) for t, ty, ts, d in iter_messages(reader)]


@pytest.mark.parametrize("storage", ["sqlite3", "mcap"])
def test_skeleton_bag_round_trip(dataset, tmp_path: Path, storage: str) -> None:
    data, _ = dataset
    samples = data["annotations"]
    info = make_skeleton_bag(data, samples, tmp_path / "bag", storage=storage, gap_s=3.0)
    assert info["samples"] == 3
    meta = yaml.safe_load((tmp_path / "bag" / "metadata.yaml").read_text())["rosbag2_bagfile_information"]
    assert meta["version"] == 9 and meta["storage_identifier"] == storage
    msgs = _decoded(tmp_path / "bag")
    gts = [(ts, m) for t, ts, m in msgs if t == "/ground_truth"]
    frames = [(ts, m) for t, ts, m in msgs if t == "/skeletons"]
    assert len(gts) == 3 and len(frames) == 3 * 40 == info["frames"]
    t0 = DEFAULT_START_NS
    prev_end = None
    for i, ((gt_ts, gt), sample) in enumerate(zip(gts, samples, strict=True)):
        fps = sample["fps"]
        own = frames[i * 40 : (i + 1) * 40]
        start = own[0][1].header.stamp.sec * 10**9 + own[0][1].header.stamp.nanosec
        assert gt_ts == start == (t0 if i == 0 else start)
        assert gt.label == CLASSES[sample["label"]] and gt.class_id == sample["label"]
        assert gt.track_id == sample_track_id(i, 0) and list(gt.classes) == list(CLASSES)
        assert gt.segment == sample["frame_dir"]
        end = gt.end.sec * 10**9 + gt.end.nanosec
        assert end == own[-1][0] and end - start == 39 * round(1e9 / fps)
        if prev_end is not None:
            assert start - prev_end >= 3 * 10**9  # gap > the node's track_timeout
        prev_end = end
        for f, (ts, msg) in enumerate(own):
            assert ts == msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec
            assert (msg.image_height, msg.image_width) == tuple(sample["img_shape"])
            present = [
                m for m in range(sample["keypoint"].shape[0]) if sample["keypoint_score"][m, f].max() > 0
            ]
            assert [sk.track_id for sk in msg.skeletons] == [sample_track_id(i, m) for m in present]
            for sk, m in zip(msg.skeletons, present, strict=True):
                xy = np.array([[k.x, k.y] for k in sk.keypoints], np.float32)
                sc = np.array([k.score for k in sk.keypoints], np.float32)
                np.testing.assert_array_equal(xy, sample["keypoint"][m, f])
                np.testing.assert_array_equal(sc, sample["keypoint_score"][m, f])
                assert sk.layout == msg.layout == "coco" and len(sk.keypoints) == 17
    assert any(len(m.skeletons) == 2 for _, m in frames)  # the bystanders made it in


def _video(path: Path, n: int = 12, fps: float = 10.0) -> Path:
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (64, 48))
    for i in range(n):
        img = np.full((48, 64, 3), 20 * i % 255, np.uint8)
        cv2.putText(img, str(i), (5, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2)
        w.write(img)
    w.release()
    return path


def test_video_bag_with_segment_csv_round_trip(tmp_path: Path) -> None:
    video = _video(tmp_path / "v.avi")
    csv = tmp_path / "v.csv"
    csv.write_text("start,end,label\n0.0,0.5,standing still\n0.6,1.1,walking\n")
    info = make_video_bag(
        video, tmp_path / "bag", annotations=csv, classes=list(CLASSES), storage="mcap", width=32
    )
    assert info["frames"] == 12 and info["segments"] == 2
    msgs = _decoded(tmp_path / "bag")
    images = [m for t, _, m in msgs if t == "/camera/image_raw"]
    gts = [(ts, m) for t, ts, m in msgs if t == "/ground_truth"]
    cap = cv2.VideoCapture(str(video))
    for img in images:
        ok, frame = cap.read()
        assert ok and (img.width, img.height, img.encoding, img.step) == (32, 24, "bgr8", 96)
        np.testing.assert_array_equal(img.data.reshape(24, 32, 3), cv2.resize(frame, (32, 24)))
    assert [(m.label, m.class_id, m.track_id) for _, m in gts] == [
        ("standing still", 1, -1),
        ("walking", 0, -1),
    ]
    frame_ns = round(1e9 / 10.0)
    assert gts[1][0] == DEFAULT_START_NS + 6 * frame_ns  # written just before its first frame
    assert gts[1][1].end.sec * 10**9 + gts[1][1].end.nanosec == DEFAULT_START_NS + 11 * frame_ns
    s = read_summary(tmp_path / "bag")
    assert s.storage == "mcap" and [g.label for g in s.ground_truth] == ["standing still", "walking"]


def test_video_bag_with_one_label_covers_every_frame(tmp_path: Path) -> None:
    video = _video(tmp_path / "v.avi", n=7)
    make_video_bag(video, tmp_path / "bag", label="walking", max_frames=5)
    s = read_summary(tmp_path / "bag")
    assert s.counts["/camera/image_raw"] == 5 and s.classes == ["walking"]
    (g,) = s.ground_truth
    assert (g.track_id, g.label, g.start_ns) == (-1, "walking", DEFAULT_START_NS)
    assert g.end_ns == DEFAULT_START_NS + 4 * round(1e9 / 10.0)


@pytest.mark.parametrize(("storage", "ext"), [("sqlite3", "db3"), ("mcap", "mcap")])
def test_truncated_or_corrupt_bags_raise_bag_error(dataset, tmp_path: Path, storage: str, ext: str) -> None:
    data, _ = dataset
    good = tmp_path / "good"
    make_skeleton_bag(data, data["annotations"], good, storage=storage)
    cut = tmp_path / "cut"
    shutil.copytree(good, cut)
    f = next(cut.glob(f"*.{ext}"))
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    with pytest.raises(BagError, match="corrupt or truncated"):
        read_summary(cut)
    garbage = tmp_path / "garbage"
    shutil.copytree(good, garbage)
    f = next(garbage.glob(f"*.{ext}"))
    f.write_bytes(np.random.default_rng(0).integers(0, 256, f.stat().st_size, np.uint8).tobytes())
    with pytest.raises(BagError, match="corrupt or truncated"):
        read_summary(garbage)
    with pytest.raises(BagError, match="no such bag"):
        read_summary(tmp_path / "missing")


def test_cli_make_and_info_and_corrupt_exit_2(dataset, tmp_path: Path) -> None:
    _, pkl = dataset
    cli = [sys.executable, "-m", "action_recognition.cli.main", "bag"]
    made = subprocess.run(
        [
            *cli,
            "make",
            "--dataset",
            str(pkl),
            "--out",
            str(tmp_path / "b"),
            "--limit",
            "2",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    # MCAP by default, as rosbag2 since Iron.
    assert "storage_identifier: mcap" in (tmp_path / "b" / "metadata.yaml").read_text()
    assert list((tmp_path / "b").glob("*.mcap")) and not list((tmp_path / "b").glob("*.db3"))
    info = subprocess.run([*cli, "info", str(tmp_path / "b")], capture_output=True, text=True, timeout=60)
    assert info.returncode == 0, info.stderr
    assert '"ground_truth_segments": 2' in info.stdout and '"count": 80' in info.stdout
    again = subprocess.run(
        [*cli, "make", "--dataset", str(pkl), "--out", str(tmp_path / "b")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 2 and "exists" in again.stderr
    f = next((tmp_path / "b").glob("*.mcap"))
    f.write_bytes(f.read_bytes()[:1000])
    bad = subprocess.run([*cli, "info", str(tmp_path / "b")], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "corrupt or truncated" in bad.stderr and "Traceback" not in bad.stderr
