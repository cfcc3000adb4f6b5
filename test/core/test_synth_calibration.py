"""The generator's variants calibrated on real motion (docs/accuracy.md, "synthetic vs real").

Real data sets record walking on the spot, two-hand and whole-arm waving, falls of walking people and
sitting down in about a second; the generator must produce each of them, in a share that keeps the
class varied. Statistics are on the true 3D joints (world frame, y up).
"""

from __future__ import annotations

import numpy as np

from action_recognition.data.motion_stats import sample_motion_stats
from action_recognition.data.synth import actions
from action_recognition.data.synth.generator import simulate_world

SEEDS = range(40)
HIP, HEAD, L_WRIST, R_WRIST, L_ANKLE, R_ANKLE = 0, 3, 6, 10, 14, 18


def _share(flags: list[bool]) -> float:
    return float(np.mean(flags))


def test_some_walking_is_on_the_spot_with_alternating_steps() -> None:
    on_spot = []
    for s in SEEDS:
        j, fps = simulate_world("walking", s)
        speed = np.linalg.norm(j[-1, HIP, [0, 2]] - j[0, HIP, [0, 2]]) * fps / len(j)
        lift = j[:, L_ANKLE, 1] - j[:, R_ANKLE, 1]
        on_spot.append(bool(speed < 0.1 and lift.max() > 0.05 and lift.min() < -0.05))
    assert 0.05 <= _share(on_spot) <= 0.45, _share(on_spot)  # IN_PLACE_WALK_PROB = 0.2
    assert actions.IN_PLACE_WALK_PROB == 0.2


def test_waving_uses_both_hands_in_about_a_third_of_samples() -> None:
    both = []
    for s in SEEDS:
        j, _ = simulate_world("hand waving", s)
        head = j[:5, HEAD, 1].mean()
        both.append(bool(j[:, L_WRIST, 1].max() > head - 0.05 and j[:, R_WRIST, 1].max() > head - 0.05))
    assert 0.15 <= _share(both) <= 0.55, _share(both)


def test_some_falls_start_from_walking() -> None:
    from_walk = []
    for s in SEEDS:
        j, fps = simulate_world("falling", s)
        first = int(fps)  # the first second, before any fall starts (falls from walking start after 1.2 s)
        speed = np.linalg.norm(j[first, HIP, [0, 2]] - j[0, HIP, [0, 2]]) * fps / first
        assert j[-5:, HEAD, 1].mean() < 0.4 * j[:5, HEAD, 1].mean()  # every fall ends low
        from_walk.append(bool(speed > 0.4))
    assert 0.15 <= _share(from_walk) <= 0.6, _share(from_walk)  # FALL_FROM_WALK_PROB = 0.35


def test_sitting_down_takes_about_a_second_as_real_people_do() -> None:
    spans, durations = [], []
    for s in SEEDS:
        j, fps = simulate_world("sitting down", s)
        hip = j[:, HIP, 1]
        drop = hip[:5].mean() - hip[-5:].mean()
        t10 = np.argmax(hip < hip[:5].mean() - 0.1 * drop)
        t90 = np.argmax(hip < hip[:5].mean() - 0.9 * drop)
        spans.append((t90 - t10) / fps)
        durations.append(len(j) / fps)
    assert min(spans) > 0.2 and max(spans) < 2.5  # 10-90 % of the hip drop
    assert np.median(spans) < 1.3  # UTD-MHAD: about 1 s of motion in a 2 s clip
    assert min(durations) < 2.5  # short clips, as in Kinect data sets


def test_motion_stats_measure_height_relative_hip_drop_and_lead_in() -> None:
    frames = 90
    t = np.arange(frames)
    x = np.array([0, -3, 3, -5, 5, -20, 20, -25, 25, -27, 27, -12, 12, -12, 12, -12, 12], np.float32)
    y = np.array([0, -5, -5, -3, -3, 30, 30, 70, 70, 100, 100, 110, 110, 160, 160, 210, 210], np.float32)
    drop = np.clip((t - 30) / 30, 0, 1) * 60  # still for 1 s, then the body sinks 60 px in 1 s
    kp = np.stack([np.broadcast_to(x + 300, (frames, 17)), y[None] + 100 + drop[:, None]], -1)
    kp[:, 11:, 1] = np.minimum(kp[:, 11:, 1], y[None, 11:] + 100 + drop[:, None])
    kp[:, 13:, 1] = y[None, 13:] + 100  # knees and ankles stay
    sample = {"keypoint": kp[None].astype(np.float32), "keypoint_score": np.full((1, frames, 17), 0.95)}
    stats = sample_motion_stats(sample, fps=30.0)
    assert stats is not None
    assert stats["duration_s"] == 3.0
    assert 0.2 < stats["hip_range"] < 0.35  # 60 px of a 210 px person
    assert 0.25 < stats["lead_in"] < 0.4  # motion starts after a third of the clip
    assert stats["travel"] < 0.01
