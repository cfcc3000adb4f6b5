"""Spread rounds: tracks that become due together settle into different phases of the stride.

Real ST-GCN++ forward passes (random weights); everything is deterministic (stamps, not clocks).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
import torch
from recognizer_testdata import SEC, SPEC, random_backend
from recognizer_testdata import person as jittering_person

from action_recognition.recognition import ActionRecognizer, RecognizerConfig

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def backend():
    return random_backend()


def person(tid: int, frame: int):
    return jittering_person(tid, frame, jitter=3)


def stream(rec: ActionRecognizer, frames: int, present, spread: bool, fps: float = 30.0) -> list[list[int]]:
    """Feed `frames` camera frames at `fps`; present(frame) -> track ids in it. Track ids per round."""
    rounds = []
    for f in range(frames):
        rec.add_frame(round(f * SEC / fps), [person(t, f) for t in present(f)], (640, 480))
        rounds.append(sorted(r.track_id for r in rec.step(spread=spread)))
    return rounds


def label_frames(rounds: list[list[int]]) -> dict[int, list[int]]:
    out = defaultdict(list)
    for f, ids in enumerate(rounds):
        for t in ids:
            out[t].append(f)
    return out


def config(stride: int) -> RecognizerConfig:  # frames of the model's 30 fps, as seconds
    return RecognizerConfig(window_s=16 / 30, min_window_s=8 / 30, stride_s=stride / 30)


def test_ten_tracks_at_once_spread_to_two_per_round(backend) -> None:
    rec = ActionRecognizer(backend, SPEC, SPEC.class_names, config(stride=5))
    rounds = stream(rec, 60, lambda f: range(10), spread=True)
    assert rounds[:7] == [[]] * 7  # min window: 8 frames
    assert [len(r) for r in rounds[7:]] == [2] * 53  # never all 10 in one round
    labels = label_frames(rounds)
    assert sorted(labels) == list(range(10))
    for frames in labels.values():  # each track keeps one phase: exactly every 5 frames
        assert np.diff(frames).tolist() == [5] * (len(frames) - 1)
    phases = sorted(frames[0] % 5 for frames in labels.values())
    assert phases == sorted(list(range(5)) * 2)
    # Without spreading the same stream gives every 5th frame all 10 tracks and the others none.
    plain = ActionRecognizer(backend, SPEC, SPEC.class_names, config(stride=5))
    assert sorted({len(r) for r in stream(plain, 60, lambda f: range(10), spread=False)[7:]}) == [0, 10]


def test_fewer_tracks_than_the_stride_and_tracks_coming_and_going(backend) -> None:
    rec = ActionRecognizer(backend, SPEC, SPEC.class_names, config(stride=5))
    # 2 tracks from the start; 5 more join at frames 13-17, one at a time; track 0 leaves at frame 40.

    def present(f: int) -> list[int]:
        return [t for t in range(7) if (t < 2 or f >= 11 + t) and not (t == 0 and f >= 40)]

    rounds = stream(rec, 70, present, spread=True)
    assert max(len(r) for r in rounds) <= 2  # ceil(7 / 5)
    labels = label_frames(rounds)
    for tid, frames in labels.items():
        gaps = np.diff([f for f in frames if f < 40 or tid != 0])
        assert gaps.max(initial=0) <= 6, (tid, frames)  # no track starves: at most one round late
    assert labels[0][-1] < 40 + 5  # a track that left is labelled once more for its last frames at most


def test_slow_camera_rounds_take_more_tracks(backend) -> None:
    # 10 fps: each frame brings 3 frames of the model's 30 fps grid, so a track is due every 2nd frame.
    rec = ActionRecognizer(backend, SPEC, SPEC.class_names, config(stride=5))
    rounds = stream(rec, 30, lambda f: range(10), spread=True, fps=10.0)
    labels = label_frames(rounds)
    assert max(len(r) for r in rounds) == 6  # ceil(10 tracks * 3 grid frames / 5)
    for frames in labels.values():
        assert np.diff(frames).max() <= 2  # every 6 grid frames at most, as without spreading


def test_step_and_plain_prepare_still_take_every_due_track(backend) -> None:
    rec = ActionRecognizer(backend, SPEC, SPEC.class_names, config(stride=5))
    for f in range(8):
        rec.add_frame(f * SEC // 30, [person(t, f) for t in range(10)], (640, 480))
    assert len(rec.step()) == 10 and rec.waiting == 0
    spread = ActionRecognizer(backend, SPEC, SPEC.class_names, config(stride=5))
    for f in range(8):
        spread.add_frame(f * SEC // 30, [person(t, f) for t in range(10)], (640, 480))
    (batch,) = spread.prepare(spread=True)
    assert len(batch.track_ids) == 2 and spread.waiting == 8
