"""Each synthetic action shows the statistic that defines it, and the other actions do not.

The statistics are computed on the true 3D joints (world frame, y up) of many random bodies and tempos.
"""

from __future__ import annotations

import numpy as np
import pytest

from action_recognition.data.synth.actions import ACTIONS, DEFAULT_CLASSES
from action_recognition.data.synth.generator import simulate_world

SEEDS = range(10)
HIP, HEAD, L_WRIST, R_WRIST, L_ANKLE, R_ANKLE = 0, 3, 6, 10, 14, 18


def _stats(j: np.ndarray, fps: float) -> dict[str, float]:
    hip, head = j[:, HIP, 1], j[:, HEAD, 1]
    wrists = np.linalg.norm(j[:, L_WRIST] - j[:, R_WRIST], axis=1)
    closed = wrists < 0.2
    return {
        "hip_end_over_start": hip[-5:].mean() / hip[:5].mean(),
        "head_end_over_start": head[-5:].mean() / head[:5].mean(),
        "head_min_over_start": head.min() / head[:5].mean(),
        "airborne_m": j[:, :, 1].min(1).max(),  # lowest joint above the floor
        "wrist_above_head_m": np.maximum(j[:, L_WRIST, 1], j[:, R_WRIST, 1]).max() - head[:5].mean(),
        "claps": int(np.sum(closed[1:] & ~closed[:-1])),  # times the hands come together
        "speed_mps": np.linalg.norm(j[-1, HIP, [0, 2]] - j[0, HIP, [0, 2]]) * fps / len(j),
        "ankle_gap_m": np.abs(j[:, L_ANKLE, 1] - j[:, R_ANKLE, 1]).max(),
        "motion_mps": np.linalg.norm(np.diff(j, axis=0), axis=-1).mean() * fps,
        # steps on the spot: each foot in turn lifted 5 cm above the other (not both at once, as in a jump)
        "left_steps": _rises(j[:, L_ANKLE, 1] - j[:, R_ANKLE, 1] > 0.05),
        "right_steps": _rises(j[:, R_ANKLE, 1] - j[:, L_ANKLE, 1] > 0.05),
    }


def _rises(flag: np.ndarray) -> int:
    return int(np.sum(flag[1:] & ~flag[:-1]))


@pytest.fixture(scope="module")
def stats() -> dict[str, list[dict[str, float]]]:
    return {a: [_stats(*simulate_world(a, s)) for s in SEEDS] for a in ACTIONS}


# action -> (statistic, test the action passes and every other action fails)
SIGNATURES = {
    "sitting down": lambda s: s["hip_end_over_start"] < 0.8 and s["head_end_over_start"] > 0.5,
    "standing up (from sitting position)": lambda s: s["hip_end_over_start"] > 1.25,
    "walking": lambda s: s["head_end_over_start"] > 0.6 and (
        s["speed_mps"] > 0.45 or (s["left_steps"] >= 1 and s["right_steps"] >= 1 and s["airborne_m"] < 0.02)
    ),
    "hand waving": lambda s: (
        s["wrist_above_head_m"] > 0.0
        and s["motion_mps"] < 0.7  # two hands or the whole arm: more motion than a forearm wave
        and s["airborne_m"] < 0.02
        and s["head_min_over_start"] > 0.9
    ),
    "jump up": lambda s: s["airborne_m"] > 0.05,
    "falling": lambda s: s["head_end_over_start"] < 0.4,
    "pickup": lambda s: s["head_min_over_start"] < 0.75 and s["head_end_over_start"] > 0.95,
    "kicking something": lambda s: s["ankle_gap_m"] > 0.42 and s["speed_mps"] < 0.2,
    "clapping": lambda s: s["claps"] >= 3,
    "standing still": lambda s: s["motion_mps"] < 0.14,
}


def test_default_classes_cover_the_required_actions():
    required = {
        "sitting down",
        "standing up (from sitting position)",
        "walking",
        "hand waving",
        "jump up",
        "falling",
        "pickup",
        "kicking something",
        "clapping",
        "standing still",
    }
    assert required <= set(DEFAULT_CLASSES) == set(SIGNATURES)


@pytest.mark.parametrize("action", list(SIGNATURES))
def test_action_shows_its_signature_and_others_do_not(stats, action):
    test = SIGNATURES[action]
    own = [test(s) for s in stats[action]]
    assert all(own), f"{action}: {own.count(False)} of {len(own)} samples lack the signature"
    for other, samples in stats.items():
        if other != action:
            hits = sum(test(s) for s in samples)
            assert hits == 0, f"{other!r} shows the signature of {action!r} in {hits} samples"


def test_sitting_is_lower_than_standing_and_motion_is_continuous():
    j, fps = simulate_world("sitting down", 3)
    assert j[-1, HIP, 1] < 0.7 * j[0, HIP, 1]
    assert j[:, :, 1].min() > -1e-6  # nothing below the floor
    # No teleporting: the fastest joint moves under 15 m/s between frames.
    assert np.linalg.norm(np.diff(j, axis=0), axis=-1).max() * fps < 15.0


def test_bodies_differ_between_seeds():
    heights = {round(float(simulate_world("standing still", s)[0][0, HEAD, 1]), 3) for s in range(6)}
    assert len(heights) == 6
