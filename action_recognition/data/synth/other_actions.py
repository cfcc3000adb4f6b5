"""Synthetic actions outside the label set: what a model should call "unknown", not a class.

Real people do far more than the ten classes: they punch, throw, draw in the air, drink, lift weights, push,
swing a racket. A model that has only seen its classes (plus a few real "other" actions) gives those a
confident wrong label. `other_gesture` draws one of several upper-body gestures with random arms, speeds,
sizes and repeats, so the unknown class learns "arms doing something that is neither waving nor clapping".
It keeps clear of the classes on purpose: no sustained arm raised sideways with the forearm up (waving;
a throw's wind-up passes through it), hands rarely meeting in front (clapping), no still pose held
(standing still), legs planted (walking, kicking).

Measured (docs/accuracy.md, "Tried on recipe v5"): trained as unknown, these gestures raise the rejection
of a never-seen source's out-of-set actions from 0 to about 50 %, but real waving and clapping are then
rejected too, so the default recipe does not use them (data.synth.other_actions, data.other_classes).
"""

from __future__ import annotations

import numpy as np

from action_recognition.data.synth.actions import ActionSpec, rest_posture
from action_recognition.data.synth.body import BodyShape
from action_recognition.data.synth.motion import Motion, bump, deg, hold, smoothstep

OTHER_GESTURE = "other gesture"


def _envelope(rng: np.random.Generator, m: Motion) -> tuple[np.ndarray, float, float]:
    """Gesture on/off curve (T,), its start and its length in seconds: at least 1 s (or 80 % of a shorter
    clip) up to 90 % of the clip, the rest idle."""
    dur = float(m.t[-1])
    shortest = min(1.0, 0.8 * dur)
    core = rng.uniform(shortest, max(shortest + 0.1, 0.9 * dur))
    t0 = float(rng.uniform(0.0, max(1e-3, dur - core)))
    rise = min(0.4, core / 4)
    return hold(m.t, t0, t0 + rise, t0 + core - rise, t0 + core), t0, core


def _strokes(rng: np.random.Generator, t: np.ndarray, t0: float, core: float, freq: float) -> np.ndarray:
    """Repeated quick strokes in [0, 1]: a fast out-and-back every 1/freq seconds within the gesture."""
    n = max(1, int(core * freq))
    out = np.zeros_like(t)
    period = core / n
    for k in range(n):
        s = t0 + k * period + rng.uniform(0.0, 0.3) * period
        out = np.maximum(out, bump(t, s, s + rng.uniform(0.35, 0.7) * period))
    return out


def _punch(
    rng: np.random.Generator, m: Motion, g: np.ndarray, t0: float, core: float, p: str, q: str
) -> None:
    """Guard up, fists driven forward: one arm, or both in turn."""
    t = m.t
    m.both("sh_flex", g * deg(rng.uniform(25, 50)))
    m.both("elbow", g * deg(rng.uniform(100, 135)))
    m.both("sh_rot", -g * deg(rng.uniform(10, 30)))
    m.both("sh_abd", g * deg(rng.uniform(10, 25)))  # fists a shoulder width apart: no clap
    freq = rng.uniform(0.8, 2.5)
    for side, shift in ((p, 0.0), (q, 0.5)):
        if side == q and rng.random() < 0.4:
            continue
        s = _strokes(rng, t, t0 + shift / freq, core, freq) * g
        m.add(side + "sh_flex", s * deg(rng.uniform(35, 60)))
        m.add(side + "elbow", -s * deg(rng.uniform(90, 125)))
    m.add(
        "torso_twist", g * deg(10) * np.sin(2 * np.pi * rng.uniform(0.2, 0.6) * t + rng.uniform(0, 2 * np.pi))
    )


def _throw(
    rng: np.random.Generator, m: Motion, g: np.ndarray, t0: float, core: float, p: str, q: str
) -> None:
    """Wind up beside the shoulder, then whip the arm forward and down; once or twice."""
    t = m.t
    n = int(rng.choice([1, 1, 2]))
    for k in range(n):
        s = t0 + k * core / n + rng.uniform(0.1, 0.3)
        back = bump(t, s, s + rng.uniform(0.6, 1.0))
        fwd = bump(t, s + 0.5, s + rng.uniform(0.8, 1.1))
        m.add(p + "sh_abd", back * deg(rng.uniform(60, 90)))
        m.add(p + "sh_rot", back * deg(rng.uniform(40, 70)))
        m.add(p + "elbow", back * deg(rng.uniform(70, 100)))
        m.add(p + "sh_flex", fwd * deg(rng.uniform(60, 110)) - back * deg(rng.uniform(0, 30)))
        m.add("torso_twist", (back - fwd) * deg(rng.uniform(15, 35)) * (1 if p == "r_" else -1))
        m.add("torso_pitch", fwd * deg(rng.uniform(5, 20)))


def _draw(rng: np.random.Generator, m: Motion, g: np.ndarray, t0: float, core: float, p: str, q: str) -> None:
    """The hand raised in front traces a circle, or a path with corners (a triangle, an X)."""
    t = m.t
    m.add(p + "sh_flex", g * deg(rng.uniform(50, 95)))  # the hand at chest to face height
    m.add(p + "elbow", g * deg(rng.uniform(10, 60)))
    amp = deg(rng.uniform(10, 25))
    ph = 2 * np.pi * rng.uniform(0.4, 1.2) * (t - t0)
    dx, dy = np.cos(ph), np.sin(ph)
    if rng.random() < 0.5:  # corners: the path slows and turns sharply
        dx, dy = np.sign(dx) * np.abs(dx) ** 0.3, np.sign(dy) * np.abs(dy) ** 0.3
    m.add(p + "sh_abd", g * amp * dx)
    m.add(p + "sh_flex", g * amp * dy)


def _hand_to_face(
    rng: np.random.Generator, m: Motion, g: np.ndarray, t0: float, core: float, p: str, q: str
) -> None:
    """Drink, eat, brush teeth: the hand goes to the mouth again and again."""
    t = m.t
    m.add(p + "sh_flex", g * deg(rng.uniform(30, 55)))
    m.add(p + "sh_abd", g * deg(rng.uniform(5, 25)))
    m.add(p + "sh_rot", -g * deg(rng.uniform(20, 45)))
    s = _strokes(rng, t, t0, core, rng.uniform(0.6, 1.3))  # slower is a pose held: standing still
    m.add(p + "elbow", g * (deg(rng.uniform(40, 70)) + s * deg(rng.uniform(60, 80))))
    if rng.random() < 0.5:  # brushing: a fast small scrub on top
        m.add(p + "sh_abd", g * np.sin(2 * np.pi * rng.uniform(3, 5) * t) * deg(rng.uniform(4, 8)))
    m.add("neck_pitch", -g * deg(rng.uniform(0, 20)))


def _curl(rng: np.random.Generator, m: Motion, g: np.ndarray, t0: float, core: float, p: str, q: str) -> None:
    """Both elbows bend and straighten together (weights, stretching)."""
    s = (1 - np.cos(2 * np.pi * rng.uniform(0.4, 1.0) * (m.t - t0))) / 2
    m.both("elbow", g * s * deg(rng.uniform(90, 130)))
    m.both("sh_flex", g * deg(rng.uniform(0, 20)))


def _push(rng: np.random.Generator, m: Motion, g: np.ndarray, t0: float, core: float, p: str, q: str) -> None:
    """Both hands pushed forward from the chest, once or a few times."""
    s = _strokes(rng, m.t, t0, core, rng.uniform(0.4, 1.2)) * g
    m.both("sh_flex", g * deg(rng.uniform(50, 75)) + s * deg(rng.uniform(10, 25)))
    m.both("elbow", g * deg(rng.uniform(100, 130)) - s * deg(rng.uniform(80, 110)))
    m.both("sh_abd", g * deg(rng.uniform(5, 20)))
    m.add("torso_pitch", s * deg(rng.uniform(0, 12)))


def _swipe(
    rng: np.random.Generator, m: Motion, g: np.ndarray, t0: float, core: float, p: str, q: str
) -> None:
    """A straight arm sweeps across the body at chest height."""
    m.add(p + "sh_flex", g * deg(rng.uniform(60, 95)))
    m.add(p + "elbow", g * deg(rng.uniform(5, 35)))
    sweep = np.sin(2 * np.pi * rng.uniform(0.3, 0.8) * (m.t - t0))
    m.add(p + "sh_abd", g * (deg(rng.uniform(10, 30)) + sweep * deg(rng.uniform(30, 50))))
    m.add("torso_twist", g * sweep * deg(rng.uniform(5, 20)))


def _swing(
    rng: np.random.Generator, m: Motion, g: np.ndarray, t0: float, core: float, p: str, q: str
) -> None:
    """A racket or bat swung with the trunk turning, one or two hands on the handle."""
    t = m.t
    side = 1 if p == "r_" else -1
    n = int(rng.choice([1, 2, 3]))
    for k in range(n):
        s = t0 + k * core / n + rng.uniform(0.0, 0.3)
        d = rng.uniform(0.5, 1.0)
        back, through = bump(t, s, s + d), bump(t, s + 0.4 * d, s + 1.4 * d)
        m.add("torso_twist", side * (back - through) * deg(rng.uniform(30, 60)))
        m.add(p + "sh_flex", (back + through) * deg(rng.uniform(40, 80)))
        m.add(p + "sh_abd", (back - through) * deg(rng.uniform(20, 40)))
        m.add(p + "elbow", (back + through) * deg(rng.uniform(10, 50)))
        if rng.random() < 0.5:
            m.add(q + "sh_flex", (back + through) * deg(rng.uniform(40, 70)))
            m.add(q + "elbow", (back + through) * deg(rng.uniform(40, 80)))
            m.add(q + "sh_rot", -(back + through) * deg(rng.uniform(20, 40)))


STYLES = {
    "punch": _punch, "throw": _throw, "draw": _draw, "hand to face": _hand_to_face, "curl": _curl,
    "push": _push, "swipe": _swipe, "swing": _swing,
}  # fmt: skip


def other_gesture(rng: np.random.Generator, m: Motion, b: BodyShape, style: str | None = None) -> None:
    """One out-of-set upper-body gesture (module doc); `style`: a key of STYLES, or None for a random one."""
    t = m.t
    rest_posture(rng, m)
    m.add("yaw", rng.uniform(-np.pi, np.pi))
    name = str(rng.choice(list(STYLES))) if style is None else style
    g, t0, core = _envelope(rng, m)
    p = str(rng.choice(["l_", "r_"], p=[0.3, 0.7]))
    STYLES[name](rng, m, g, t0, core, p, "l_" if p == "r_" else "r_")
    # A little knee give with the effort; the feet stay where they are.
    m.both("knee", smoothstep(t, t0, t0 + 0.3) * deg(rng.uniform(0, 8)))


# Out-of-set actions by name: a data set may list them as classes (SynthConfig.classes) and a training
# config maps them to its unknown class (data.other_classes).
OTHER_ACTIONS: dict[str, ActionSpec] = {OTHER_GESTURE: ActionSpec(OTHER_GESTURE, other_gesture, (2.0, 6.0))}
