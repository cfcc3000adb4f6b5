"""Drawing overlay: bones only between confident joints, box, id and per-track label, copy semantics."""

from __future__ import annotations

import numpy as np

from action_recognition.pose.draw import draw_poses, track_colour
from action_recognition.pose.estimator import PersonPose


def person(track_id: int, score_b: float = 0.9) -> PersonPose:
    kp = np.array([[100, 100, 0.9], [200, 100, score_b], [100, 200, 0.9]], np.float32)
    return PersonPose(track_id, kp, np.array([80, 80, 220, 220], np.float32), 0.8)


def test_draws_bones_boxes_and_labels() -> None:
    img = np.zeros((300, 300, 3), np.uint8)
    out = draw_poses(img, [person(3)], edges=[(0, 1), (0, 2)], labels={3: "walking 0.91"})
    assert not img.any()  # copy by default
    assert out[100, 150].any() and out[150, 100].any()  # bone midpoints
    assert out[150, 80].any() and out[150, 220].any()  # box sides
    assert out[150, 150].sum() == 0  # inside the box, off the bones: untouched
    plain = draw_poses(img, [person(3)], edges=[(0, 1), (0, 2)])
    assert (out != plain).any()  # the label widens the text tag


def test_low_score_joint_hides_its_bone() -> None:
    img = np.zeros((300, 300, 3), np.uint8)
    out = draw_poses(img, [person(1, score_b=0.1)], edges=[(0, 1)], kpt_threshold=0.3)
    assert out[100, 150].sum() == 0 and out[100, 100].any()


def test_track_colours_stable_and_distinct() -> None:
    assert track_colour(5) == track_colour(5)
    assert len({track_colour(i) for i in range(1, 11)}) == 10


def test_in_place() -> None:
    img = np.zeros((300, 300, 3), np.uint8)
    out = draw_poses(img, [person(2)], copy=False)
    assert out is img and img.any()
