"""PoseEstimator with the real yolo11n-pose weights on real images and the real demo video."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from action_recognition.paths import demo_video
from action_recognition.pose.estimator import PoseConfig, PoseEstimator, PoseSetupError
from action_recognition.pose.video_source import VideoSource

pytestmark = pytest.mark.usefixtures("installed_pose_assets")


@pytest.fixture(scope="module")
def est() -> PoseEstimator:
    return PoseEstimator(PoseConfig(imgsz=320))


@pytest.fixture(scope="module")
def assets():
    from ultralytics.utils import ASSETS

    return ASSETS


def test_contract_on_zidane(est: PoseEstimator, assets) -> None:
    est.reset()
    img = cv2.imread(str(assets / "zidane.jpg"))
    frame = est.process(img)
    assert (frame.width, frame.height) == (img.shape[1], img.shape[0])
    assert len(frame.persons) == 2
    assert sorted(p.track_id for p in frame.persons) == [1, 2]
    for p in frame.persons:
        assert p.keypoints.shape == (17, 3) and p.keypoints.dtype == np.float32
        assert p.bbox.shape == (4,) and p.bbox.dtype == np.float32
        assert 0.25 <= p.bbox_score <= 1.0
        x1, y1, x2, y2 = p.bbox
        assert 0 <= x1 < x2 <= frame.width and 0 <= y1 < y2 <= frame.height
        seen = p.keypoints[p.keypoints[:, 2] > 0.5]
        assert len(seen) >= 5  # faces and shoulders are visible in this picture
        # Confident joints lie in (or very near) their own person's box.
        assert np.all((seen[:, 0] > x1 - 10) & (seen[:, 0] < x2 + 10))
        assert np.all((seen[:, 1] > y1 - 10) & (seen[:, 1] < y2 + 10))
        assert np.all((p.keypoints[:, 2] >= 0) & (p.keypoints[:, 2] <= 1))


def test_tracks_persist_and_reset(est: PoseEstimator, assets) -> None:
    est.reset()
    img = cv2.imread(str(assets / "bus.jpg"))
    first = est.process(img)
    assert len(first.persons) >= 3
    by_box = {tuple(np.round(p.bbox / 20).astype(int)): p.track_id for p in first.persons}
    again = est.process(img)
    # Same image again: same people, same ids.
    assert sorted(p.track_id for p in again.persons) == sorted(by_box.values())
    for p in est.process(img).persons:
        nearest = min(first.persons, key=lambda q: float(np.abs(q.bbox - p.bbox).sum()))
        assert nearest.track_id == p.track_id
    # Other people, 10 s later: new ids (a new person is confirmed on their second frame). Within the
    # tracker's relink_s they would continue the people who vanished there (test_person_tracking.py).
    zidane = cv2.imread(str(assets / "zidane.jpg"))
    est.process(zidane, stamp=10.0)
    zidane_ids = {p.track_id for p in est.process(zidane, stamp=10.04).persons}
    assert len(zidane_ids) == 2 and not zidane_ids & set(by_box.values())
    # After reset, ids restart at 1 and people are reported from their first frame.
    est.reset()
    assert sorted(p.track_id for p in est.process(img).persons) == list(range(1, len(first.persons) + 1))


def test_nobody_gives_empty_frame(est: PoseEstimator) -> None:
    est.reset()
    frame = est.process(np.full((240, 320, 3), 127, np.uint8))
    assert frame.persons == [] and (frame.width, frame.height) == (320, 240)


def test_rejects_non_bgr_input(est: PoseEstimator) -> None:
    with pytest.raises(ValueError):
        est.process(np.zeros((0, 10, 3), np.uint8))
    with pytest.raises(ValueError):
        est.process(np.zeros((10, 10), np.uint8))


def test_walking_person_keeps_one_track_id(est: PoseEstimator) -> None:
    """Demo video: the walker crosses right to left on the ground (boxes below y=400), the other
    person stands on a block at the top. Frames 45-185 show the walker whole."""
    est.reset()
    walker: dict[int, tuple[int, float]] = {}  # frame -> (id, box centre x)
    with VideoSource(demo_video()) as src:
        for f in src:
            if f.index > 185:
                break
            for p in est.process(f.image).persons:
                if f.index >= 45 and p.bbox[1] > 400:
                    walker[f.index] = (p.track_id, float(p.bbox[0] + p.bbox[2]) / 2)
    ids = {tid for tid, _ in walker.values()}
    assert len(walker) >= 0.9 * (185 - 45 + 1)
    assert len(ids) == 1, f"walker changed id: {ids}"
    xs = [x for _, (_, x) in sorted(walker.items())]
    assert xs[0] - xs[-1] > 900  # really the person crossing the garden


def test_missing_weights_is_fatal(tmp_path) -> None:
    with pytest.raises(PoseSetupError, match="not found"):
        PoseEstimator(PoseConfig(model=tmp_path / "nope.pt"))


@pytest.mark.parametrize("device", ["tpu", "cuda:0"])
def test_unknown_or_absent_device_is_fatal(device: str) -> None:
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        device = "cuda:99"
    with pytest.raises(PoseSetupError, match="device"):
        PoseEstimator(PoseConfig(imgsz=320, device=device))


def test_unknown_layout_is_fatal() -> None:
    with pytest.raises(PoseSetupError, match="layout"):
        PoseEstimator(PoseConfig(imgsz=320, layout="no-such-layout"))


def test_keypoint_count_mismatch_is_fatal(tmp_path) -> None:
    """A 25-keypoint pose model (built offline, random weights) cannot serve the 17-joint coco layout."""
    import torch
    from ultralytics.nn.tasks import PoseModel

    path = tmp_path / "pose25.pt"
    model = PoseModel("yolo11n-pose.yaml", nc=1, data_kpt_shape=(25, 3), verbose=False)
    torch.save({"model": model, "train_args": {"task": "pose"}}, path)
    with pytest.raises(PoseSetupError, match="25 keypoints"):
        PoseEstimator(PoseConfig(model=path, imgsz=320, layout="coco"))
