"""A random pinhole camera placed around the person, and perspective projection.

World: y up, ground y = 0. Camera frame (OpenCV): x right, y down, z forward. Some cameras pan to follow a
moving person or shake a little, as hand-held phone videos do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from action_recognition.data.synth.motion import wobble
from action_recognition.data.synth.ranges import Domain, sample_azimuth, uniform_union

# (width, height) of common video sources, with how often each is drawn.
IMAGE_SIZES: tuple[tuple[int, int], ...] = (
    (1920, 1080), (1280, 720), (640, 480), (960, 540), (1768, 994), (640, 360), (1080, 1920), (720, 1280),
)  # fmt: skip
IMAGE_SIZE_WEIGHTS = np.array([0.25, 0.25, 0.15, 0.1, 0.05, 0.05, 0.1, 0.05])


@dataclass
class Camera:
    width: int
    height: int
    focal: float  # pixels
    rot: np.ndarray  # (T, 3, 3) world -> camera
    pos: np.ndarray  # (T, 3) camera centre in world

    def to_camera(self, x: np.ndarray) -> np.ndarray:
        """World points (T, J, 3) -> camera frame (T, J, 3)."""
        return np.einsum("tij,tkj->tki", self.rot, x - self.pos[:, None, :])

    def project(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World points (T, J, 3) -> pixels (T, J, 2) and depth (T, J); depth <= 0 is behind the camera."""
        xc = self.to_camera(x)
        z = xc[..., 2]
        zs = np.where(z > 1e-3, z, 1e-3)
        uv = np.stack(
            [self.focal * xc[..., 0] / zs + self.width / 2, self.focal * xc[..., 1] / zs + self.height / 2],
            -1,
        )
        return uv, z


def look_at(pos: np.ndarray, target: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """Rotations (T, 3, 3) whose rows are the camera's right, down and forward axes in world coordinates."""
    fwd = target - pos
    fwd /= np.linalg.norm(fwd, axis=-1, keepdims=True)
    right = np.cross(fwd, np.array([0.0, 1.0, 0.0]))
    right /= np.maximum(np.linalg.norm(right, axis=-1, keepdims=True), 1e-9)
    down = np.cross(fwd, right)
    c, s = np.cos(roll)[:, None], np.sin(roll)[:, None]
    right, down = c * right + s * down, -s * right + c * down
    return np.stack([right, down, fwd], axis=1)


def sample_camera(
    rng: np.random.Generator, domain: Domain, joints: np.ndarray, stature: float, fps: float
) -> Camera:
    """A camera seeing `joints` (T, J, 3): sized by the person's apparent height, aimed near mid-clip."""
    t = joints.shape[0]
    width, height = IMAGE_SIZES[int(rng.choice(len(IMAGE_SIZES), p=IMAGE_SIZE_WEIGHTS))]
    hfov = np.deg2rad(uniform_union(rng, domain.hfov_deg))
    focal = (width / 2) / np.tan(hfov / 2)
    frac = uniform_union(rng, domain.person_frac)
    cam_h = uniform_union(rng, domain.camera_height_m)
    pelvis = joints[:, 0]
    mid = pelvis[t // 2].copy()
    mid[1] = 0.5 * stature
    dist = stature * focal / (frac * height)
    azim = sample_azimuth(rng, domain.azimuth_parity)
    dy = cam_h - mid[1]
    horiz = np.sqrt(max(dist**2 - dy**2, 0.25))
    pos = mid + np.array([horiz * np.sin(azim), dy, horiz * np.cos(azim)])
    # A person walking at the camera must not walk through it: back off until 1 m clear.
    closest = np.min(np.linalg.norm((pelvis - pos)[:, [0, 2]], axis=1))
    if closest < 1.0:
        away = (pos - mid)[[0, 2]] / max(np.linalg.norm((pos - mid)[[0, 2]]), 1e-6)
        pos[[0, 2]] += away * (1.0 - closest + 0.5)
    pos = np.repeat(pos[None], t, 0)
    moving = np.linalg.norm(pelvis[-1, [0, 2]] - pelvis[0, [0, 2]]) > 1.0
    tt = np.arange(t) / fps
    if moving and rng.random() < 0.3:
        target = pelvis.copy()  # panning: the camera follows the person
        target[:, 1] = mid[1]
    else:
        target = np.repeat(mid[None], t, 0)
    # Frame the person off-centre: aim a little beside and above/below them.
    right = np.cross((target[t // 2] - pos[0]) / dist, [0.0, 1.0, 0.0])
    off = rng.uniform(-0.25, 0.25) * dist * np.tan(hfov / 2) * right
    off[1] += rng.uniform(-0.15, 0.15) * dist * np.tan(hfov / 2) * height / width
    target = target + off
    if rng.random() < 0.3:  # hand-held: the aim drifts by a fraction of a degree
        shake = np.stack([wobble(rng, tt, 0.01 * dist, fmax=1.5) for _ in range(3)], -1)
        target = target + shake
    roll = np.full(t, np.deg2rad(rng.normal(0, 1.5)))
    return Camera(width, height, float(focal), look_at(pos, target, roll), pos)
