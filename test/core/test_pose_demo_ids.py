"""The real demo video as `action-recognition launch demo` feeds it (640x360 frames, the pose node's defaults:
imgsz 640, conf, the shipped tracker), real yolo11n-pose inference: two people, two ids, also when the pose
node keeps up with only every 3rd frame. The man on the block walks along it, does a backflip (unseen by
the detector for about a second) and lands on the grass; the woman crosses the garden and leaves at the left.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from action_recognition.nodes.params import POSE_NODE_PARAMS
from action_recognition.paths import demo_video
from action_recognition.pose.estimator import PoseConfig, PoseEstimator, PoseSetupError
from action_recognition.pose.video_source import VideoSource

pytestmark = pytest.mark.usefixtures("installed_pose_assets")
NODE = {p.name: p.default for p in POSE_NODE_PARAMS}


@pytest.fixture(scope="module")
def frames() -> list[tuple[float, np.ndarray]]:
    with VideoSource(demo_video()) as src:
        return [(f.timestamp, cv2.resize(f.image, (640, 360), interpolation=cv2.INTER_AREA)) for f in src]


@pytest.fixture(scope="module")
def est() -> PoseEstimator:
    return PoseEstimator(PoseConfig(imgsz=NODE["imgsz"], conf=NODE["conf"], tracker=NODE["tracker"]))


def tracks(est: PoseEstimator, frames, every: int) -> dict[int, list[tuple[int, np.ndarray]]]:
    """person id -> [(frame index, box)] over every `every`-th frame, with the frames' stamps."""
    est.reset()
    out: dict[int, list[tuple[int, np.ndarray]]] = {}
    for i in range(0, len(frames), every):
        stamp, image = frames[i]
        for p in est.process(image, stamp=stamp).persons:
            out.setdefault(p.track_id, []).append((i, p.bbox))
    return out


@pytest.mark.parametrize("every", [1, 3])
def test_two_people_two_ids(est: PoseEstimator, frames, every: int) -> None:
    assert len(frames) == 230
    people = tracks(est, frames, every)
    assert len(people) == 2, {pid: (seen[0][0], seen[-1][0], len(seen)) for pid, seen in people.items()}
    man = next(pid for pid, seen in people.items() if seen[0][0] == 0)  # alone in the first frame
    [woman] = set(people) - {man}
    man_frames = [i for i, _ in people[man]]
    # One id from the block, through the backflip, to the landing on the grass (bottom half of the image).
    assert man_frames[0] == 0 and man_frames[-1] >= 210
    assert people[man][0][1][3] < 180 < people[man][-1][1][3]
    # The woman: one id from where she enters at the right to where she leaves at the left.
    xs = [(box[0] + box[2]) / 2 for _, box in people[woman]]
    assert xs[0] > 450 and xs[-1] < 60


def test_the_man_on_the_block_is_found_at_the_node_default(est: PoseEstimator, frames) -> None:
    """Frames 90-140: he stands on the block, about 80 px tall (imgsz 320 missed him in most of them)."""
    est.reset()
    found = 0
    for i in range(90, 141):
        persons = est.process(frames[i][1], stamp=frames[i][0]).persons
        found += any(p.bbox[3] < 180 for p in persons)  # the block's top is at y ~ 150
    assert found >= 0.9 * 51


def test_unknown_tracker_is_fatal_naming_the_choices() -> None:
    with pytest.raises(PoseSetupError, match=r"nosuch\.yaml.*bytetrack_robust\.yaml"):
        PoseEstimator(PoseConfig(imgsz=320, tracker="nosuch.yaml"))
