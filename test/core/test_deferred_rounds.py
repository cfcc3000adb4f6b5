"""Rounds decided per frame but run later (a node whose worker fell behind) give the same results.

The action node decides each frame's round when the frame arrives (`prepare`) and runs the forward
passes in order on a worker thread (`finish`), which may be many frames behind. The results must be
those of `feed` (a round run at once after every frame), including the moving average of a track
that ends, or restarts under the same id, while its earlier rounds still wait.
Real ST-GCN++ forward passes (random weights); stamps, not clocks.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from recognizer_testdata import SEC, SPEC, random_backend
from recognizer_testdata import person as jittering_person

from action_recognition.recognition import ActionRecognizer, PersonFrame, RecognizerConfig

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def backend():
    return random_backend()


def person(tid: int, frame: int):
    return jittering_person(tid, frame, jitter=8)


def frames() -> list[tuple[int, list[PersonFrame]]]:
    """4 people; track 1 leaves at frame 30 and its id comes back (a new person) after the timeout;
    track 3 joins late; frames 60-64 are empty."""
    out = []
    for f in range(140):
        stamp = round(f * SEC / 25)  # 25 fps camera: the 30 fps grid sometimes gets 2 frames at once
        ids = [0, 2] + ([1] if f < 30 or f >= 90 else []) + ([3] if f >= 40 else [])
        out.append((stamp, [] if 60 <= f < 65 else [person(t, f) for t in ids]))
    return out


def recognizer(backend) -> ActionRecognizer:
    config = RecognizerConfig(window_s=16 / 30, min_window_s=8 / 30, stride_s=5 / 30, smoothing=0.6,
                              track_timeout=1.0)
    return ActionRecognizer(backend, SPEC, SPEC.class_names, config)


def as_rows(results) -> list[tuple]:
    return [(r.track_id, r.window_start_ns, r.window_end_ns, r.num_frames, r.label,
             r.probabilities.tolist()) for r in results]


@pytest.mark.parametrize("spread", [True, False])
@pytest.mark.parametrize("behind", [3, 17, 1000])
def test_rounds_run_late_give_the_results_of_rounds_run_at_once(backend, spread: bool, behind: int) -> None:
    at_once = recognizer(backend)
    expected = []
    for stamp, people in frames():
        expected += as_rows(at_once.feed(stamp, people, (640, 480), spread=spread))
    assert len({r[0] for r in expected}) == 4 and len(expected) > 60

    late = recognizer(backend)
    queue, got = [], []
    for f, (stamp, people) in enumerate(frames()):
        if late.add_frame(stamp, people, (640, 480)).accepted:
            queue += late.prepare(spread=spread)  # decided now ...
        if f % behind == behind - 1:  # ... run only every `behind` frames, in order
            for batch in queue:
                got += as_rows(late.finish(batch, late.backend.predict(batch.clips)))
            queue.clear()
    for batch in queue:
        got += as_rows(late.finish(batch, late.backend.predict(batch.clips)))
    assert got == expected


def test_smoothing_starts_afresh_for_a_returning_id(backend) -> None:
    rec = recognizer(backend)
    first_of_new_track_1 = None
    for f, (stamp, people) in enumerate(frames()):
        for r in rec.feed(stamp, people, (640, 480)):
            if r.track_id == 1 and f >= 90 and first_of_new_track_1 is None:
                first_of_new_track_1 = r
    raw = ActionRecognizer(backend, SPEC, SPEC.class_names, RecognizerConfig(
        window_s=16 / 30, min_window_s=8 / 30, stride_s=5 / 30, track_timeout=1.0))
    for f, (stamp, people) in enumerate(frames()):
        for r in raw.feed(stamp, people, (640, 480)):
            if r.track_id == 1 and f >= 90 and r.window_end_ns == first_of_new_track_1.window_end_ns:
                # random weights give near-uniform probabilities: compare exactly (same input, same forward)
                np.testing.assert_array_equal(r.probabilities, first_of_new_track_1.probabilities)
                return
    raise AssertionError("the returning track was never labelled")


def test_merging_late_rounds_labels_each_live_track_once_on_its_newest_window(backend) -> None:
    """What a node too far behind does: the late rounds become one label per track still there, on
    the window it has now; the windows that skips, and those of tracks gone meanwhile, are counted."""
    rec = recognizer(backend)
    queue = []
    for stamp, people in frames()[:70]:  # track 1 left at frame 30 and expired; tracks 0, 2, 3 go on
        if rec.add_frame(stamp, people, (640, 480)).accepted:
            queue += rec.prepare(spread=True)
    late_windows = sum(len(b.track_ids) for b in queue)
    assert {1, 3} <= {t for b in queue for t in b.track_ids}
    batches, merged = rec.merge(queue)
    ids = [t for b in batches for t in b.track_ids]
    assert sorted(ids) == [0, 2, 3]  # each live track once; track 1 is gone
    assert merged == late_windows - 3
    newest = {t.track_id: t.last_stamp for t in rec.tracks.tracks.values()}
    ends = {tid: end for b in batches for tid, (_, end, _) in zip(b.track_ids, b.windows, strict=True)}
    assert ends == {tid: newest[tid] for tid in ids}
    results = [r for b in batches for r in rec.finish(b, rec.backend.predict(b.clips))]
    assert [r.track_id for r in results] == ids
