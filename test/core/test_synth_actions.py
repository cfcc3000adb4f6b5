"""Each synthetic action shows the statistic that defines it, and the other actions do not.

The statistics are computed on the true 3D joints (world frame, y up) of many random bodies and tempos.
"""

from __future__ import annotations

import numpy as np
import pytest

from action_recognition.data.synth.actions import ACTIONS, DEFAULT_CLASSES
from action_recognition.data.synth.body import forward_kinematics, sample_body
from action_recognition.data.synth.generator import simulate_world
from action_recognition.data.synth.motion import Motion
from action_recognition.data.synth.other_actions import OTHER_ACTIONS, OTHER_GESTURE, STYLES, other_gesture
from action_recognition.data.synth.ranges import ANY

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


@pytest.fixture(scope="module")
def gesture_stats() -> dict[str, list[dict[str, float]]]:
    out = {}
    for style in STYLES:
        rows = []
        for seed in range(20):
            rng = np.random.default_rng(seed)
            body = sample_body(rng, ANY.stature_m, ANY.limb_spread)
            m = Motion(int(rng.uniform(2.0, 6.0) * 30), 30.0)
            other_gesture(rng, m, body, style)
            rows.append(_stats(forward_kinematics(body, m), 30.0))
        out[style] = rows
    return out


@pytest.mark.parametrize("style", list(STYLES))
def test_other_gestures_move_the_arms_and_nothing_else(gesture_stats, style):
    """Out-of-set gestures (trained as unknown) must not carry the whole-body signature of a class, and must
    move: a gesture slow enough to look still would teach the model that standing still is unknown."""
    rows = gesture_stats[style]
    whole_body = ("sitting down", "standing up (from sitting position)", "walking", "jump up", "falling",
                  "pickup", "kicking something")
    for action in whole_body:
        assert not any(SIGNATURES[action](s) for s in rows), f"{style} looks like {action}"
    assert all(s["speed_mps"] < 0.1 and s["head_min_over_start"] > 0.9 for s in rows)
    moving = np.mean([not SIGNATURES["standing still"](s) for s in rows])
    clapping = np.mean([SIGNATURES["clapping"](s) for s in rows])
    assert moving >= 0.7, f"{style}: only {moving:.0%} of samples move more than standing still"
    assert clapping <= 0.2, f"{style}: {clapping:.0%} of samples bring the hands together 3+ times"


def test_other_gesture_is_no_default_class_and_draws_every_style(monkeypatch):
    assert OTHER_GESTURE in OTHER_ACTIONS and OTHER_GESTURE not in DEFAULT_CLASSES
    seen: list[str] = []
    for name, fn in list(STYLES.items()):
        def record(*args, _name=name, _fn=fn):
            seen.append(_name)
            _fn(*args)
        monkeypatch.setitem(STYLES, name, record)
    for seed in range(80):
        rng = np.random.default_rng(seed)
        other_gesture(rng, Motion(90, 30.0), sample_body(rng, ANY.stature_m, ANY.limb_spread))
    counts = {name: seen.count(name) for name in STYLES}
    assert len(seen) == 80 and min(counts.values()) >= 4, counts
