"""A 3D kinematic human body with random proportions, posed by joint-angle channels.

World frame: y up, ground at y = 0. Body frame: facing +z, the person's left is +x. The body has the 25
NTU RGB+D joints (PYSKL order) plus 5 face points (nose, left/right eye, left/right ear) placed on the head,
so the COCO layout can be derived from the same skeleton.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from action_recognition.data.synth.motion import Motion
from action_recognition.data.synth.ranges import Ranges, uniform_union

NUM_NTU = 25
# Internal joint index of the face points, after the 25 NTU joints.
NOSE, L_EYE, R_EYE, L_EAR, R_EAR = 25, 26, 27, 28, 29
NUM_BODY_JOINTS = 30

# Segment lengths as fractions of stature (anthropometric tables, rounded).
_RATIOS = {
    "thigh": 0.245,
    "shank": 0.246,
    "ankle_h": 0.039,
    "foot": 0.11,
    "spine_low": 0.14,  # base of spine -> middle of spine
    "spine_up": 0.15,  # middle of spine -> spine shoulder
    "neck": 0.05,
    "head": 0.075,  # neck -> head centre
    "upper_arm": 0.186,
    "forearm": 0.146,
    "hand": 0.045,  # wrist -> NTU "hand" (palm centre)
    "hand_tip": 0.06,  # hand -> finger tips
    "shoulder_w": 0.21,  # distance between the shoulder joints
    "hip_w": 0.115,  # distance between the hip joints
    "pelvis_h": 0.03,  # hips sit this far below the base of spine
}


@dataclass(frozen=True)
class BodyShape:
    """Segment lengths in metres."""

    height: float
    seg: dict[str, float]

    @property
    def leg(self) -> float:
        return self.seg["thigh"] + self.seg["shank"] + self.seg["ankle_h"]


def sample_body(rng: np.random.Generator, stature_ranges: Ranges, spread: float) -> BodyShape:
    """A random body: stature from the union of ranges, each segment varied by about `spread` (relative)."""
    height = uniform_union(rng, stature_ranges)
    seg = {
        k: height * r * float(np.clip(rng.normal(1.0, spread), 1 - 2.5 * spread, 1 + 2.5 * spread))
        for k, r in _RATIOS.items()
    }
    # Build (shoulder and hip breadth) varies together more than it varies from limb lengths.
    build = float(rng.uniform(0.9, 1.15))
    seg["shoulder_w"] *= build
    seg["hip_w"] *= build
    return BodyShape(height, seg)


def _rx(a: np.ndarray) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([o, z, z], -1), np.stack([z, c, -s], -1), np.stack([z, s, c], -1)], -2)


def _ry(a: np.ndarray) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2)


def _rz(a: np.ndarray) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1), np.stack([z, z, o], -1)], -2)


def _apply(r: np.ndarray, v: np.ndarray | tuple[float, float, float]) -> np.ndarray:
    """Rotate vector(s) v by per-frame rotations r (T, 3, 3)."""
    v = np.asarray(v, dtype=np.float64)
    if v.ndim == 1:
        return r @ v
    return np.einsum("tij,tj->ti", r, v)


def _arm(rt: np.ndarray, shoulder: np.ndarray, side: float, m: Motion, p: str, b: BodyShape):
    """Elbow, wrist, hand, tip, thumb of one arm; side +1 left, -1 right (mirrors abduction and rotation)."""
    s = b.seg
    r_up = rt @ _rz(side * m[p + "sh_abd"]) @ _rx(-m[p + "sh_flex"]) @ _ry(side * m[p + "sh_rot"])
    elbow = shoulder + _apply(r_up, (0.0, -s["upper_arm"], 0.0))
    r_fore = r_up @ _rx(-m[p + "elbow"])
    wrist = elbow + _apply(r_fore, (0.0, -s["forearm"], 0.0))
    hand = wrist + _apply(r_fore, (0.0, -s["hand"], 0.0))
    tip = hand + _apply(r_fore, (0.0, -s["hand_tip"], 0.01))
    thumb = hand + _apply(r_fore, (side * 0.035, -0.02, 0.03))
    return elbow, wrist, hand, tip, thumb


def _leg(rp: np.ndarray, hip: np.ndarray, side: float, m: Motion, p: str, b: BodyShape):
    """Knee, ankle, foot of one leg."""
    s = b.seg
    r_thigh = rp @ _rz(side * m[p + "hip_abd"]) @ _rx(-m[p + "hip_flex"])
    knee = hip + _apply(r_thigh, (0.0, -s["thigh"], 0.0))
    r_shank = r_thigh @ _rx(m[p + "knee"])
    ankle = knee + _apply(r_shank, (0.0, -s["shank"], 0.0))
    r_foot = r_shank @ _rx(m[p + "ankle"])
    foot = ankle + _apply(r_foot, (0.0, -s["ankle_h"], s["foot"]))
    return knee, ankle, foot


def forward_kinematics(body: BodyShape, m: Motion) -> np.ndarray:
    """World joint positions (T, 30, 3) in metres: feet on the ground unless airborne, root path applied.

    Feet stay planted (the anchor joints keep their ground position) unless the motion moves the root itself,
    as walking does; that keeps sitting, bending and falling from sliding the feet.
    """
    b = body
    s = b.seg
    t = m.num_frames
    j = np.zeros((t, NUM_BODY_JOINTS, 3))
    # Whole-body orientation: heading, then falling rotations about the body's own axes.
    r_body = _ry(m["yaw"]) @ _rz(m["fall_roll"]) @ _rx(m["fall_pitch"])
    r_pelvis = r_body @ _rz(m["pelvis_roll"])
    r_torso = r_pelvis @ _ry(m["torso_twist"]) @ _rz(m["torso_roll"]) @ _rx(m["torso_pitch"])
    base = np.zeros((t, 3))
    j[:, 0] = base
    j[:, 1] = base + _apply(r_torso, (0.0, s["spine_low"], 0.0))
    # The upper spine bends a little more than the lower (a rounded back when leaning).
    r_upper = r_torso @ _rx(0.3 * m["torso_pitch"])
    j[:, 20] = j[:, 1] + _apply(r_upper, (0.0, s["spine_up"], -0.01))
    r_head = r_upper @ _ry(m["head_yaw"]) @ _rx(m["neck_pitch"])
    j[:, 2] = j[:, 20] + _apply(r_upper, (0.0, s["neck"], 0.0))
    head = j[:, 2] + _apply(r_head, (0.0, s["head"], 0.01))
    j[:, 3] = head
    hr = b.height * 0.055  # head radius scale for the face points
    j[:, NOSE] = head + _apply(r_head, (0.0, -0.2 * hr, 1.45 * hr))
    j[:, L_EYE] = head + _apply(r_head, (0.45 * hr, 0.25 * hr, 1.2 * hr))
    j[:, R_EYE] = head + _apply(r_head, (-0.45 * hr, 0.25 * hr, 1.2 * hr))
    j[:, L_EAR] = head + _apply(r_head, (1.1 * hr, 0.05 * hr, -0.1 * hr))
    j[:, R_EAR] = head + _apply(r_head, (-1.1 * hr, 0.05 * hr, -0.1 * hr))
    half_sw = 0.5 * s["shoulder_w"]
    for side, p, sh_i, first in ((1.0, "l_", 4, 5), (-1.0, "r_", 8, 9)):
        j[:, sh_i] = j[:, 20] + _apply(r_upper, (side * half_sw, -0.02, 0.0))
        # Shrugging / reaching lifts the shoulder joint slightly with the arm.
        lift = 0.03 * np.clip(m[p + "sh_abd"] - 1.2, 0, None)
        j[:, sh_i] += r_upper[:, :, 1] * lift[:, None]
        elbow, wrist, hand, tip, thumb = _arm(r_upper, j[:, sh_i], side, m, p, b)
        j[:, first], j[:, first + 1], j[:, first + 2] = elbow, wrist, hand
        tip_i, thumb_i = (21, 22) if side > 0 else (23, 24)
        j[:, tip_i], j[:, thumb_i] = tip, thumb
    half_hw = 0.5 * s["hip_w"]
    for side, p, hip_i in ((1.0, "l_", 12), (-1.0, "r_", 16)):
        j[:, hip_i] = base + _apply(r_pelvis, (side * half_hw, -s["pelvis_h"], 0.0))
        knee, ankle, foot = _leg(r_pelvis, j[:, hip_i], side, m, p, b)
        j[:, hip_i + 1], j[:, hip_i + 2], j[:, hip_i + 3] = knee, ankle, foot
    # Plant the anchor (ankles by default) where it stood in frame 0, then add the root path.
    w = m.anchor_weights  # (2,) weights of the left / right ankle
    anchor = w[0] * j[:, 14, [0, 2]] + w[1] * j[:, 18, [0, 2]]
    shift = m.plant[:, None] * (anchor - anchor[:1])
    j[:, :, [0, 2]] -= shift[:, None, :]
    j[:, :, 0] += m.root_xz[:, None, 0]
    j[:, :, 2] += m.root_xz[:, None, 1]
    # Ground contact: the lowest point (feet, or anything when lying) rests on the floor, plus jump height.
    low = np.min(j[:, :, 1], axis=1)
    j[:, :, 1] += (m["air"] - low)[:, None]
    return j
