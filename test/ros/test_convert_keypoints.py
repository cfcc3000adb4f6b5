"""Skeleton keypoints -> numpy without a Python loop per keypoint: same values, order and edge cases."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("rclpy")
from action_recognition.msg import Keypoint, Skeleton, SkeletonArray

from action_recognition.nodes.action_node import skeletons_to_frames
from action_recognition.nodes.keypoints import keypoint_rows


def skeleton(track_id: int, rows: np.ndarray) -> Skeleton:
    sk = Skeleton(track_id=track_id, layout="coco")
    sk.keypoints = [Keypoint(x=float(x), y=float(y), z=float(z), score=float(s)) for x, y, z, s in rows]
    return sk


def test_keypoint_rows_keeps_fields_and_joint_order() -> None:
    rows = np.random.default_rng(0).uniform(-500, 500, (17, 4)).astype(np.float32)
    rows[3] = (np.nan, np.inf, 0.0, 0.5)  # non-finite values pass through; the recognizer cleans them
    out = keypoint_rows(skeleton(1, rows))
    assert out.dtype == np.float32 and out.shape == (17, 4)
    np.testing.assert_array_equal(out, rows)
    assert keypoint_rows(Skeleton()).shape == (0, 4)


def test_skeletons_to_frames_2d_3d_and_wrong_joint_counts() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0, 100, (17, 4)).astype(np.float32), rng.uniform(0, 100, (5, 4)).astype(np.float32)
    msg = SkeletonArray(skeletons=[skeleton(7, a), skeleton(9, b)])
    flat, deep = skeletons_to_frames(msg, with_z=False), skeletons_to_frames(msg, with_z=True)
    assert [f.track_id for f in flat] == [7, 9]
    np.testing.assert_array_equal(flat[0].coords, a[:, :2])
    np.testing.assert_array_equal(deep[0].coords, a[:, :3])
    np.testing.assert_array_equal(flat[0].scores, a[:, 3])
    assert flat[1].coords.shape == (5, 2)  # kept as sent: the recognizer counts and skips it
