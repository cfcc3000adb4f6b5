"""Layout conversion: joint order agrees with the skeleton layouts, face points exist, left is left."""

from __future__ import annotations

import numpy as np
import pytest

from action_recognition.data.synth.body import forward_kinematics, sample_body
from action_recognition.data.synth.camera import Camera, look_at
from action_recognition.data.synth.layouts import INTERNAL_JOINTS, layout_indices
from action_recognition.data.synth.motion import Motion
from action_recognition.skeleton import get_layout


@pytest.mark.parametrize("layout", ["coco", "nturgb+d", "openpose"])
def test_layout_picks_joints_by_name_in_layout_order(layout):
    idx = layout_indices(layout)
    names = get_layout(layout).joint_names
    assert len(idx) == len(names) == get_layout(layout).num_joints
    alias = {"neck": "spine_shoulder"} if layout == "openpose" else {}
    assert [INTERNAL_JOINTS[i] for i in idx] == [alias.get(n, n) for n in names]


def test_ntu_order_is_the_internal_order():
    assert list(layout_indices("nturgb+d")) == list(range(25))


def _front_view(yaw: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """A person at the origin facing +z (turned by yaw), seen by a camera 4 m in front at chest height."""
    body = sample_body(np.random.default_rng(0), ((1.75, 1.75),), 0.0)
    m = Motion(2, 30.0)
    m["yaw"] = yaw
    j = forward_kinematics(body, m)
    pos = np.array([[0.0, 1.2, 4.0]] * 2)
    cam = Camera(1280, 720, 900.0, look_at(pos, np.array([[0.0, 1.0, 0.0]] * 2), np.zeros(2)), pos)
    uv, depth = cam.project(j)
    return uv[0], depth[0]


def test_coco_joints_from_the_front():
    uv, depth = _front_view()
    coco = uv[layout_indices("coco")]
    names = get_layout("coco").joint_names
    p = {n: coco[i] for i, n in enumerate(names)}
    # Facing the camera, the person's left side appears on the image's right.
    for part in ("eye", "ear", "shoulder", "elbow", "wrist", "hip", "knee", "ankle"):
        assert p[f"left_{part}"][0] > p[f"right_{part}"][0], part
    # Top to bottom: eyes above nose above shoulders above hips above knees above ankles (image y grows down).
    assert p["left_eye"][1] < p["nose"][1] < p["left_shoulder"][1] < p["left_hip"][1] < p["left_knee"][1]
    assert p["left_knee"][1] < p["left_ankle"][1]
    # Face points are distinct points on the head, between the ears.
    face = coco[:5]
    assert np.min(np.linalg.norm(face[:, None] - face[None], axis=-1) + np.eye(5) * 1e3) > 1.0
    assert p["right_ear"][0] < p["nose"][0] < p["left_ear"][0]
    assert (depth > 0).all()


def test_turning_round_swaps_sides_in_the_image():
    uv, _ = _front_view(yaw=np.pi)
    coco = uv[layout_indices("coco")]
    assert coco[5, 0] < coco[6, 0]  # back view: left shoulder now on the image's left
