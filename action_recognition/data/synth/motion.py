"""Joint-angle channels over time and the small signal helpers the actions are written with.

Angles are radians. Flexions are positive forward (hip, shoulder), knee and elbow bending positive; abduction
positive away from the body midline; torso_pitch positive leaning forward; fall_pitch positive falling
forward.
"""

from __future__ import annotations

import numpy as np

CHANNELS: tuple[str, ...] = (
    "yaw", "air", "fall_pitch", "fall_roll", "pelvis_roll",
    "torso_pitch", "torso_roll", "torso_twist", "neck_pitch", "head_yaw",
    "l_sh_flex", "l_sh_abd", "l_sh_rot", "l_elbow", "r_sh_flex", "r_sh_abd", "r_sh_rot", "r_elbow",
    "l_hip_flex", "l_hip_abd", "l_knee", "l_ankle", "r_hip_flex", "r_hip_abd", "r_knee", "r_ankle",
)  # fmt: skip


class Motion:
    """Channels (T,) by name, a root path on the ground (T, 2) and how firmly the feet are planted (T,)."""

    def __init__(self, num_frames: int, fps: float):
        self.num_frames = num_frames
        self.fps = fps
        self.t = np.arange(num_frames) / fps
        self.ch = {name: np.zeros(num_frames) for name in CHANNELS}
        self.root_xz = np.zeros((num_frames, 2))
        self.plant = np.ones(num_frames)
        self.anchor_weights = np.array([0.5, 0.5])

    def __getitem__(self, name: str) -> np.ndarray:
        return self.ch[name]

    def __setitem__(self, name: str, value: np.ndarray | float) -> None:
        self.ch[name] = np.broadcast_to(np.asarray(value, dtype=np.float64), (self.num_frames,)).copy()

    def add(self, name: str, value: np.ndarray | float) -> None:
        self.ch[name] = self.ch[name] + value

    def both(self, suffix: str, left: np.ndarray | float, right: np.ndarray | float | None = None) -> None:
        """Add to the left and right channel of one joint (mirror value when right is None)."""
        self.add("l_" + suffix, left)
        self.add("r_" + suffix, left if right is None else right)

    def reversed(self) -> Motion:
        """The same motion played backwards (standing up is sitting down in reverse)."""
        out = Motion(self.num_frames, self.fps)
        out.ch = {k: v[::-1].copy() for k, v in self.ch.items()}
        out.root_xz = self.root_xz[::-1].copy()
        out.plant = self.plant[::-1].copy()
        out.anchor_weights = self.anchor_weights.copy()
        return out


def deg(x: float | np.ndarray) -> float | np.ndarray:
    return np.deg2rad(x)


def smoothstep(t: np.ndarray, t0: float, t1: float) -> np.ndarray:
    """0 before t0, 1 after t1, a smooth (zero-velocity ends) S-curve between."""
    x = np.clip((t - t0) / max(t1 - t0, 1e-6), 0.0, 1.0)
    return x * x * x * (x * (6 * x - 15) + 10)


def bump(t: np.ndarray, t0: float, t1: float) -> np.ndarray:
    """0 outside [t0, t1], rising smoothly to 1 in the middle."""
    x = np.clip((t - t0) / max(t1 - t0, 1e-6), 0.0, 1.0)
    return np.sin(np.pi * x) ** 2


def hold(t: np.ndarray, t0: float, t1: float, t2: float, t3: float) -> np.ndarray:
    """Rise over [t0, t1], stay at 1, fall over [t2, t3]."""
    return smoothstep(t, t0, t1) * (1.0 - smoothstep(t, t2, t3))


def wobble(
    rng: np.random.Generator, t: np.ndarray, amp: float, fmax: float = 0.6, terms: int = 3
) -> np.ndarray:
    """Smooth random drift: a sum of a few sines with random frequencies and phases, std about amp."""
    f = rng.uniform(0.05, fmax, terms)
    ph = rng.uniform(0, 2 * np.pi, terms)
    a = rng.normal(0, 1, terms)
    return (
        amp
        * (np.sin(2 * np.pi * f[:, None] * t[None] + ph[:, None]) * a[:, None]).sum(0)
        / np.sqrt(terms / 2)
    )
