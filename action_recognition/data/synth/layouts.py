"""The generator's 30 internal joints and how each output layout picks from them (by joint name)."""

from __future__ import annotations

import numpy as np

from action_recognition.skeleton import get_layout

# The 25 NTU RGB+D joints in PYSKL order, then 5 face points placed on the head.
INTERNAL_JOINTS: tuple[str, ...] = (
    "base_of_spine", "middle_of_spine", "neck", "head",
    "left_shoulder", "left_elbow", "left_wrist", "left_hand",
    "right_shoulder", "right_elbow", "right_wrist", "right_hand",
    "left_hip", "left_knee", "left_ankle", "left_foot",
    "right_hip", "right_knee", "right_ankle", "right_foot",
    "spine_shoulder", "left_hand_tip", "left_thumb", "right_hand_tip", "right_thumb",
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
)  # fmt: skip
# Where a layout's joint means something else than the internal joint of the same name.
_ALIASES: dict[str, dict[str, str]] = {
    "openpose": {"neck": "spine_shoulder"}
}  # OpenPose's neck: between shoulders

SUPPORTED_LAYOUTS: tuple[str, ...] = ("coco", "nturgb+d", "openpose")


def layout_indices(layout: str) -> np.ndarray:
    """Internal joint index of each joint of `layout`, in the layout's order."""
    spec = get_layout(layout)
    alias = _ALIASES.get(spec.name, {})
    idx = []
    for name in spec.joint_names:
        internal = alias.get(name, name)
        if internal not in INTERNAL_JOINTS:
            raise ValueError(f"layout {spec.name!r}: the generator has no joint {name!r}")
        idx.append(INTERNAL_JOINTS.index(internal))
    return np.asarray(idx, dtype=np.int64)


def joint_side() -> np.ndarray:
    """+1 for the person's left joints, -1 for right, 0 for the midline."""
    return np.array(
        [1.0 if n.startswith("left_") else -1.0 if n.startswith("right_") else 0.0 for n in INTERNAL_JOINTS]
    )
