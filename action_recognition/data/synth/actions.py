"""The synthetic actions: each one writes joint-angle channels and a root path onto a Motion.

Every action starts from a natural rest posture with slow idle sway, so no two samples of a class look alike,
and transient actions (sitting down, falling, ...) keep a random idle stretch before and after.
Class names follow NTU RGB+D's wording where NTU has the action.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from action_recognition.data.synth.body import BodyShape, forward_kinematics
from action_recognition.data.synth.motion import Motion, bump, deg, hold, smoothstep, wobble

G = 9.81


def rest_posture(rng: np.random.Generator, m: Motion, sway: float = 1.0) -> None:
    """A relaxed standing pose plus slow idle drift in every joint."""
    t = m.t
    m.both(
        "sh_abd",
        deg(rng.uniform(3, 12)) + wobble(rng, t, deg(2) * sway),
        deg(rng.uniform(3, 12)) + wobble(rng, t, deg(2) * sway),
    )
    m.both(
        "sh_flex",
        deg(rng.uniform(-4, 8)) + wobble(rng, t, deg(3) * sway),
        deg(rng.uniform(-4, 8)) + wobble(rng, t, deg(3) * sway),
    )
    m.both(
        "elbow",
        deg(rng.uniform(5, 25)) + wobble(rng, t, deg(3) * sway),
        deg(rng.uniform(5, 25)) + wobble(rng, t, deg(3) * sway),
    )
    m.both("hip_abd", deg(rng.uniform(1, 7)), deg(rng.uniform(1, 7)))
    m.both(
        "knee",
        deg(rng.uniform(1, 8)) + np.abs(wobble(rng, t, deg(2) * sway)),
        deg(rng.uniform(1, 8)) + np.abs(wobble(rng, t, deg(2) * sway)),
    )
    m.add("torso_pitch", deg(rng.uniform(-2, 7)) + wobble(rng, t, deg(1.5) * sway))
    m.add("torso_roll", wobble(rng, t, deg(1.5) * sway))
    m.add("pelvis_roll", wobble(rng, t, deg(1.5) * sway))
    m.add("neck_pitch", deg(rng.uniform(-8, 12)) + wobble(rng, t, deg(3) * sway))
    m.add("head_yaw", wobble(rng, t, deg(8) * sway, fmax=0.3))
    m.add("yaw", wobble(rng, t, deg(2) * sway, fmax=0.2))


def _start(rng: np.random.Generator, m: Motion, core: float, lo: float = 0.2, tail: float = 0.3) -> float:
    """A start time leaving at least `tail` seconds after an action lasting `core` seconds."""
    dur = m.t[-1]
    return float(rng.uniform(lo, max(lo + 1e-3, dur - core - tail)))


IN_PLACE_WALK_PROB = 0.2  # walking on the spot (Kinect data sets record walking that way)
FALL_FROM_WALK_PROB = 0.35  # falls of people who were walking (tripping, slipping)
TWO_HAND_WAVE_PROB = 0.3  # real waving data: about a third with both hands
ARM_WAVE_PROB = 0.35  # waving with the whole arm over the head, not only the forearm


def walking(rng: np.random.Generator, m: Motion, b: BodyShape, stop_at: float | None = None) -> None:
    """Gait; in place now and then. `stop_at`: the gait ends there (the start of a fall)."""
    t = m.t
    rest_posture(rng, m, sway=0.5)
    in_place = stop_at is None and rng.random() < IN_PLACE_WALK_PROB
    slow = rng.random() < 0.25
    cadence = rng.uniform(1.1, 1.6) if slow else rng.uniform(1.55, 2.15)  # steps per second
    step = b.height * (rng.uniform(0.22, 0.34) if slow else rng.uniform(0.32, 0.46))
    # Start from standing / stop at the end sometimes: gait amplitude and speed follow an envelope.
    env = np.ones_like(t)
    if rng.random() < 0.3:
        t0 = rng.uniform(0.0, 0.8)
        env *= smoothstep(t, t0, t0 + rng.uniform(0.5, 1.0))
    if stop_at is not None:
        env *= 1.0 - smoothstep(t, stop_at - 0.15, stop_at + 0.25)
    elif rng.random() < 0.25:
        t1 = t[-1] - rng.uniform(0.6, 1.5)
        env *= 1.0 - smoothstep(t, t1, t1 + rng.uniform(0.5, 0.9))
    phase = 2 * np.pi * np.cumsum(0.5 * cadence * np.maximum(env, 0.25)) / m.fps + rng.uniform(0, 2 * np.pi)
    amp_h = np.arcsin(min(0.9, step / (2 * b.leg))) * rng.uniform(0.85, 1.15)
    k_swing, k_stance = deg(rng.uniform(45, 68)), deg(rng.uniform(8, 20))
    swing_arm = deg(rng.uniform(6, 32)) * (0.3 if rng.random() < 0.15 else 1.0)
    for p, ph in (("l_", phase), ("r_", phase + np.pi)):
        m.add(p + "hip_flex", env * (amp_h * np.sin(ph) + deg(4)))
        knee = k_swing * ((1 + np.cos(ph + 0.5)) / 2) ** 4 + k_stance * ((1 + np.cos(ph - 2.1)) / 2) ** 4
        m.add(p + "knee", env * knee)
        m.add(p + "ankle", env * deg(12) * np.sin(ph - 1.2))
        m.add(p + "sh_flex", env * (-swing_arm * np.sin(ph) + deg(3)))
        m.add(p + "elbow", env * (0.5 * swing_arm * (1 + np.sin(-ph)) / 2 + deg(8)))
    if rng.random() < 0.15:  # one hand busy (phone, bag): that arm does not swing
        p = rng.choice(["l_", "r_"])
        m[p + "sh_flex"] = deg(rng.uniform(10, 35))
        m[p + "elbow"] = deg(rng.uniform(70, 110))
    m.add("torso_pitch", env * deg(rng.uniform(1, 8)))
    m.add("torso_twist", env * deg(rng.uniform(2, 6)) * np.sin(phase))
    m.add("pelvis_roll", env * deg(rng.uniform(1, 4)) * np.sin(2 * phase))
    yaw0 = rng.uniform(-np.pi, np.pi)
    yaw = np.full_like(t, yaw0)
    if rng.random() < 0.3 and stop_at is None:
        tc = rng.uniform(0.2, 0.8) * t[-1]
        yaw += deg(rng.uniform(-90, 90)) * smoothstep(t, tc - 0.6, tc + 0.6)
    m.add("yaw", yaw)
    speed = cadence * step * env * (0.0 if in_place else 1.0)
    heading = m["yaw"]
    vel = np.stack([np.sin(heading), np.cos(heading)], -1) * speed[:, None]
    m.root_xz = np.cumsum(vel, 0) / m.fps
    # moving root: feet follow the gait; once stopped (a fall) the feet stay where they are
    m.plant = np.zeros_like(t) if stop_at is None else smoothstep(t, stop_at + 0.1, stop_at + 0.3)


def standing_still(rng: np.random.Generator, m: Motion, b: BodyShape) -> None:
    t = m.t
    rest_posture(rng, m, sway=rng.uniform(0.7, 1.6))
    style = rng.choice(["hang", "hang", "clasped", "hips", "crossed", "phone", "behind", "pockets"])
    if style == "clasped":
        m.both("sh_flex", deg(rng.uniform(10, 25)))
        m.both("elbow", deg(rng.uniform(50, 85)))
        m.both("sh_rot", -deg(rng.uniform(30, 50)))
    elif style == "hips":
        m.both("sh_abd", deg(rng.uniform(25, 45)))
        m.both("elbow", deg(rng.uniform(80, 110)))
        m.both("sh_rot", deg(rng.uniform(-40, -10)))
        m.both("sh_flex", -deg(rng.uniform(5, 20)))
    elif style == "crossed":
        m.both("sh_flex", deg(rng.uniform(20, 35)))
        m.both("elbow", deg(rng.uniform(105, 130)))
        m.both("sh_rot", -deg(rng.uniform(50, 70)))
    elif style == "phone":
        p = rng.choice(["l_", "r_"])
        m.add(p + "sh_flex", deg(rng.uniform(15, 35)))
        m.add(p + "elbow", deg(rng.uniform(80, 115)))
        m.add(p + "sh_rot", -deg(rng.uniform(10, 30)))
        m.add("neck_pitch", deg(rng.uniform(10, 30)))
    elif style == "behind":
        m.both("sh_flex", -deg(rng.uniform(15, 30)))
        m.both("elbow", deg(rng.uniform(30, 60)))
        m.both("sh_rot", -deg(rng.uniform(20, 40)))
    elif style == "pockets":
        m.both("sh_abd", deg(rng.uniform(8, 18)))
        m.both("elbow", deg(rng.uniform(25, 45)))
        m.both("sh_flex", -deg(rng.uniform(0, 10)))
    # Weight shifts from one leg to the other and a slowly turning body.
    shift = wobble(rng, t, deg(rng.uniform(0.5, 2.5)), fmax=0.25)
    m.add("pelvis_roll", shift)
    m.both("knee", np.clip(shift, 0, None) * 2, np.clip(-shift, 0, None) * 2)
    m.add("yaw", rng.uniform(-np.pi, np.pi) + wobble(rng, t, deg(rng.uniform(2, 10)), fmax=0.15))
    # Occasional small gesture (scratch, adjust clothes) keeps "still" from meaning "frozen".
    if rng.random() < 0.3:
        p = rng.choice(["l_", "r_"])
        t0 = _start(rng, m, 1.5)
        g = hold(t, t0, t0 + 0.4, t0 + 0.9, t0 + 1.4)
        m.add(p + "sh_flex", g * deg(rng.uniform(10, 40)))
        m.add(p + "elbow", g * deg(rng.uniform(30, 90)))


def hand_waving(rng: np.random.Generator, m: Motion, b: BodyShape) -> None:
    t = m.t
    rest_posture(rng, m)
    m.add("yaw", rng.uniform(-np.pi, np.pi))
    sides = ["r_"] if rng.random() < 0.7 else ["l_"]
    if rng.random() < TWO_HAND_WAVE_PROB:
        sides = ["l_", "r_"]
    arm_wave = rng.random() < ARM_WAVE_PROB
    core = rng.uniform(1.5, max(1.6, t[-1] - 0.6))
    t0 = _start(rng, m, core, lo=0.1, tail=0.0)
    rise = rng.uniform(0.3, 0.6)
    keep = rng.random() < 0.3  # still waving when the clip ends
    g = hold(t, t0, t0 + rise, t0 + core - rise, t0 + core) if not keep else smoothstep(t, t0, t0 + rise)
    f = rng.uniform(1.5, 3.5)
    for p in sides:
        m.add(p + "sh_abd", g * deg(rng.uniform(75, 145)))
        m.add(p + "sh_flex", g * deg(rng.uniform(0, 50)))
        m.add(p + "sh_rot", g * deg(rng.uniform(60, 95)))
        osc = np.sin(2 * np.pi * f * (t - t0)) * deg(rng.uniform(15, 35))
        if arm_wave:  # the straight arm sweeps side to side over the head, slower
            sweep = np.sin(2 * np.pi * 0.6 * f * (t - t0)) * deg(rng.uniform(20, 45))
            m.add(p + "elbow", g * deg(rng.uniform(0, 25)))
            m.add(p + "sh_abd", g * sweep * (1 if p == "r_" else -1))
        else:
            m.add(p + "elbow", g * (deg(rng.uniform(30, 80)) + osc))
            m.add(p + "sh_abd", g * 0.3 * osc * rng.uniform(0, 1))


def clapping(rng: np.random.Generator, m: Motion, b: BodyShape) -> None:
    t = m.t
    rest_posture(rng, m)
    m.add("yaw", rng.uniform(-np.pi, np.pi))
    core = rng.uniform(min(2.0, t[-1] - 0.1), max(2.1, t[-1] - 0.3))
    t0 = _start(rng, m, core, lo=0.05, tail=0.0)
    g = (
        hold(t, t0, t0 + 0.35, t0 + core - 0.35, t0 + core)
        if rng.random() < 0.7
        else smoothstep(t, t0, t0 + 0.35)
    )
    f = rng.uniform(1.8, 4.0)
    flex, elbow, abd = deg(rng.uniform(25, 50)), deg(rng.uniform(75, 100)), deg(rng.uniform(5, 15))
    closed = _hands_together_rotation(b, flex, elbow, abd)
    opening = (1 - np.cos(2 * np.pi * f * (t - t0))) / 2  # 0 = hands together
    m.both("sh_flex", g * flex)
    m.both("elbow", g * elbow)
    m.both("sh_abd", g * abd)
    m.both("sh_rot", g * (closed + opening * deg(rng.uniform(30, 55))))


def _hands_together_rotation(b: BodyShape, flex: float, elbow: float, abd: float) -> float:
    """The inward upper-arm rotation that brings both hands together for this body and arm pose."""
    rots = -np.deg2rad(np.arange(0.0, 91.0, 2.0))
    m = Motion(len(rots), 30.0)
    m.both("sh_flex", flex)
    m.both("elbow", elbow)
    m.both("sh_abd", abd)
    m.both("sh_rot", rots)
    j = forward_kinematics(b, m)
    gap = np.linalg.norm(j[:, 7] - j[:, 11], axis=1)  # palm centres
    return float(rots[int(np.argmin(gap))])


def sitting_down(rng: np.random.Generator, m: Motion, b: BodyShape) -> None:
    t = m.t
    rest_posture(rng, m)
    m.add("yaw", rng.uniform(-np.pi, np.pi))
    d = rng.uniform(0.7, 2.2)  # real (UTD-MHAD): the whole clip is about 2 s, the motion about 1 s
    t0 = _start(rng, m, d, lo=0.2, tail=0.4)
    down = smoothstep(t, t0, t0 + d)
    knee_down = smoothstep(t, t0, t0 + 0.85 * d)
    m.both("hip_flex", down * deg(rng.uniform(78, 100)))
    m.both("knee", knee_down * deg(rng.uniform(70, 105)), knee_down * deg(rng.uniform(70, 105)))
    m.both("hip_abd", down * deg(rng.uniform(0, 12)))
    m.add(
        "torso_pitch", bump(t, t0, t0 + 1.2 * d) * deg(rng.uniform(20, 40)) + down * deg(rng.uniform(-12, 10))
    )
    m.add("neck_pitch", bump(t, t0, t0 + d) * deg(rng.uniform(0, 20)))
    # Hands: reach back for the seat or brace on the thighs, then rest on the lap.
    reach = bump(t, t0 + 0.2 * d, t0 + 0.9 * d)
    m.both(
        "sh_flex",
        -reach * deg(rng.uniform(0, 30))
        + smoothstep(t, t0 + 0.8 * d, t0 + 1.3 * d) * deg(rng.uniform(15, 45)),
    )
    m.both("elbow", smoothstep(t, t0 + 0.8 * d, t0 + 1.3 * d) * deg(rng.uniform(20, 70)))
    m.add("torso_pitch", down * wobble(rng, t, deg(2)))


def standing_up(rng: np.random.Generator, m: Motion, b: BodyShape) -> None:
    sitting_down(rng, m, b)
    r = m.reversed()
    m.ch, m.root_xz, m.plant = r.ch, r.root_xz, r.plant


def jump_up(rng: np.random.Generator, m: Motion, b: BodyShape) -> None:
    t = m.t
    rest_posture(rng, m)
    m.add("yaw", rng.uniform(-np.pi, np.pi))
    n = int(rng.choice([1, 1, 1, 2, 2, 3, 4]))
    height = rng.uniform(0.08, 0.45)
    flight = 2 * np.sqrt(2 * height / G)
    crouch, push, land = rng.uniform(0.3, 0.55), rng.uniform(0.12, 0.22), rng.uniform(0.25, 0.45)
    one = crouch + push + flight + land
    n = max(1, min(n, int((t[-1] - 0.5) / one)))  # every hop lands inside the clip
    t0 = _start(rng, m, n * one, lo=0.2, tail=0.3)
    depth = rng.uniform(0.5, 1.0)
    for k in range(n):
        s = t0 + k * one
        lift = s + crouch + push
        dip = bump(t, s, lift) + 0.6 * bump(t, lift + flight - 0.05, lift + flight + land)
        m.both("hip_flex", dip * depth * deg(rng.uniform(45, 75)))
        m.both("knee", dip * depth * deg(rng.uniform(70, 110)))
        m.add("torso_pitch", dip * depth * deg(rng.uniform(15, 35)))
        m.both("ankle", dip * -deg(15) + bump(t, lift - push, lift + flight) * deg(rng.uniform(20, 40)))
        x = np.clip((t - lift) / flight, 0, 1)
        m.add("air", 4 * height * x * (1 - x))
        arms = -bump(t, s, lift - 0.05) * deg(rng.uniform(20, 50)) + bump(
            t, lift - push, lift + flight + 0.1
        ) * deg(rng.uniform(60, 160))
        m.both("sh_flex", arms)
        m.both("sh_abd", bump(t, lift - push, lift + flight) * deg(rng.uniform(0, 30)))


def falling(rng: np.random.Generator, m: Motion, b: BodyShape) -> None:
    t = m.t
    d = rng.uniform(0.6, 1.3)
    from_walk = rng.random() < FALL_FROM_WALK_PROB
    t0 = _start(rng, m, d, lo=1.2 if from_walk else 0.3, tail=0.6)
    if from_walk:  # walking up to the fall: the gait stops as the body goes down
        walking(rng, m, b, stop_at=t0 + 0.2 * d)
    else:
        rest_posture(rng, m)
        m.add("yaw", rng.uniform(-np.pi, np.pi))
    x = np.clip((t - t0) / d, 0, 1)
    fall = x * x  # gravity: slow start, fast end
    direction = rng.choice(["forward", "backward", "side", "collapse"], p=[0.35, 0.3, 0.2, 0.15])
    angle = deg(rng.uniform(82, 95))
    buckle = smoothstep(t, t0, t0 + 0.6 * d)
    # Arms brace during the fall, then relax onto the floor (along the body or overhead).
    brace = hold(t, t0, t0 + 0.7 * d, t0 + d, t0 + d + rng.uniform(0.2, 0.6))
    settle = smoothstep(t, t0 + d, t0 + d + 0.5)
    if direction == "forward":
        m.add("fall_pitch", fall * angle)
        m.both(
            "sh_flex",
            brace * deg(rng.uniform(60, 140)) + settle * deg(rng.choice([0, 160]) + rng.uniform(-15, 15)),
        )
        m.both("knee", (buckle - 0.8 * settle) * deg(rng.uniform(10, 60)))
    elif direction == "backward":
        m.add("fall_pitch", -fall * angle)
        m.both("hip_flex", buckle * deg(rng.uniform(30, 80)))
        m.both("knee", buckle * deg(rng.uniform(30, 90)))
        m.both("sh_abd", brace * deg(rng.uniform(30, 80)) + settle * deg(rng.uniform(0, 40)))
    elif direction == "side":
        m.add("fall_roll", fall * angle * rng.choice([-1, 1]))
        m.both("knee", buckle * deg(rng.uniform(10, 50)))
        m.both("sh_abd", brace * deg(rng.uniform(30, 100)))
        m.both("sh_flex", settle * deg(rng.uniform(-10, 40)))
    else:  # knees give way first, then the body tips over
        m.both("knee", buckle * deg(rng.uniform(70, 120)))
        m.both("hip_flex", buckle * deg(rng.uniform(40, 90)))
        m.add("fall_pitch", smoothstep(t, t0 + 0.4 * d, t0 + 1.2 * d) ** 2 * angle * rng.choice([-1, 1]))
    m.add("torso_pitch", bump(t, t0 - 0.2, t0 + d) * deg(rng.uniform(-15, 25)))
    # Lying still afterwards, with a little movement of the head and limbs.
    after = smoothstep(t, t0 + d, t0 + d + 0.3)
    m.add("neck_pitch", after * wobble(rng, t, deg(10)))
    m.both("sh_flex", after * wobble(rng, t, deg(8)), after * wobble(rng, t, deg(8)))


def pickup(rng: np.random.Generator, m: Motion, b: BodyShape) -> None:
    t = m.t
    rest_posture(rng, m)
    m.add("yaw", rng.uniform(-np.pi, np.pi))
    down, stay, up = rng.uniform(0.6, 1.2), rng.uniform(0.2, 1.0), rng.uniform(0.6, 1.2)
    t0 = _start(rng, m, down + stay + up, lo=0.2, tail=0.3)
    g = hold(t, t0, t0 + down, t0 + down + stay, t0 + down + stay + up)
    squat = rng.uniform(0, 1)  # 0 = stoop from the hips, 1 = full squat
    pitch = deg((1 - squat) * rng.uniform(60, 95) + squat * rng.uniform(20, 50))
    m.add("torso_pitch", g * pitch)
    m.both("hip_flex", g * deg(squat * rng.uniform(70, 110) + (1 - squat) * rng.uniform(0, 20)))
    m.both("knee", g * deg(squat * rng.uniform(90, 130) + (1 - squat) * rng.uniform(10, 40)))
    m.add("neck_pitch", g * deg(rng.uniform(10, 30)))
    # Arms hang with gravity (relative to the bent trunk); the reaching hand goes further down.
    m.both("sh_flex", g * pitch * rng.uniform(0.75, 1.0), g * pitch * rng.uniform(0.75, 1.0))
    sides = ["l_", "r_"] if rng.random() < 0.4 else [rng.choice(["l_", "r_"])]
    for p in sides:
        m.add(p + "sh_flex", g * deg(rng.uniform(0, 30)))
        m.add(p + "elbow", -g * m[p + "elbow"] * 0.7)
        # Carrying the object afterwards.
        if rng.random() < 0.6:
            carry = smoothstep(t, t0 + down + stay, t0 + down + stay + up)
            m.add(p + "sh_flex", carry * deg(rng.uniform(10, 30)))
            m.add(p + "elbow", carry * deg(rng.uniform(50, 90)))


def kicking(rng: np.random.Generator, m: Motion, b: BodyShape) -> None:
    t = m.t
    rest_posture(rng, m)
    m.add("yaw", rng.uniform(-np.pi, np.pi))
    p, q = ("r_", "l_") if rng.random() < 0.7 else ("l_", "r_")
    m.anchor_weights = np.array([1.0, 0.0]) if q == "l_" else np.array([0.0, 1.0])
    n = int(rng.choice([1, 1, 2]))
    back, strike, ret = rng.uniform(0.2, 0.4), rng.uniform(0.12, 0.25), rng.uniform(0.3, 0.6)
    one = back + strike + ret
    t0 = _start(rng, m, n * one, lo=0.2, tail=0.3)
    for k in range(n):
        s = t0 + k * one
        s1, s2 = s + back, s + back + strike
        wind = hold(t, s, s1, s1, s2)
        hit = hold(t, s1, s2, s2 + 0.05, s2 + ret)
        m.add(p + "hip_flex", -wind * deg(rng.uniform(10, 30)) + hit * deg(rng.uniform(45, 95)))
        m.add(p + "knee", wind * deg(rng.uniform(50, 95)) + (bump(t, s1, s2 + ret) - hit) * deg(30))
        m.add(p + "ankle", hit * deg(rng.uniform(0, 30)))
        m.add(q + "knee", hold(t, s, s1, s2, s2 + ret) * deg(rng.uniform(5, 20)))
        m.add("torso_pitch", -hit * deg(rng.uniform(5, 20)))
        arms = hold(t, s, s1, s2, s2 + ret)
        m.both("sh_abd", arms * deg(rng.uniform(10, 40)))
        m.add(q + "sh_flex", arms * deg(rng.uniform(10, 45)))


@dataclass(frozen=True)
class ActionSpec:
    """One synthetic action: the function that writes it and the clip lengths (seconds) it fits in."""

    name: str
    make: Callable[[np.random.Generator, Motion, BodyShape], None]
    duration: tuple[float, float]


ACTIONS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        ActionSpec("sitting down", sitting_down, (1.6, 6.0)),
        ActionSpec("standing up (from sitting position)", standing_up, (1.6, 6.0)),
        ActionSpec("walking", walking, (2.0, 8.0)),
        ActionSpec("hand waving", hand_waving, (2.0, 6.0)),
        ActionSpec("jump up", jump_up, (2.0, 5.0)),
        ActionSpec("falling", falling, (2.5, 6.0)),
        ActionSpec("pickup", pickup, (3.0, 7.0)),
        ActionSpec("kicking something", kicking, (2.0, 5.0)),
        ActionSpec("clapping", clapping, (2.0, 6.0)),
        ActionSpec("standing still", standing_still, (2.0, 8.0)),
    )
}

# The default class list (label = index), the order of the data set and label map files.
DEFAULT_CLASSES: tuple[str, ...] = tuple(ACTIONS)
