"""Per-track windows: ordering, bad input, restarts, expiry and bounded memory."""

from __future__ import annotations

import numpy as np

from action_recognition.recognition.tracks import PersonFrame, TrackTable

V = 17
SEC = 1_000_000_000


def person(track_id: int, value: float = 1.0, joints: int = V) -> PersonFrame:
    return PersonFrame(track_id, np.full((joints, 2), value, np.float32), np.full(joints, 0.9, np.float32))


def table(**kw) -> TrackTable:
    args = {"num_joints": V, "window": 10, "timeout_ns": 2 * SEC, "max_tracks": 20} | kw
    return TrackTable(**args)


def at30(i: int) -> int:
    return i * SEC // 30


def test_window_keeps_the_newest_frames_in_stamp_order() -> None:
    t = table()
    for i in range(50):
        t.add_frame(at30(i), [person(1, float(i))], (640, 480))
    stamps, coords, scores = t.tracks[1].arrays()
    assert len(stamps) == 10 and list(stamps) == [t.grid.stamp(i) for i in range(40, 50)]
    assert coords[:, 0, 0].tolist() == [float(i) for i in range(40, 50)]  # a 30 fps stream is kept as it is
    assert t.tracks[1].total_frames == 50 and scores.shape == (10, V)


def test_out_of_order_and_duplicate_frames_are_dropped_and_counted() -> None:
    t = table()
    t.add_frame(at30(1), [person(1, 1.0)], (640, 480))
    t.add_frame(at30(3), [person(1, 3.0)], (640, 480))
    older = t.add_frame(at30(2), [person(1, 9.0)], (640, 480))  # late: held until the next frame decides
    same = t.add_frame(at30(3), [person(1, 9.0)], (640, 480))
    assert older.held_frame and older.accepted == 0
    assert same.duplicate_frame and same.accepted == 0
    goes_on = t.add_frame(at30(4), [person(1, 4.0)], (640, 480))
    assert goes_on.dropped_held == 1 and goes_on.clock_jump_ns is None and goes_on.accepted == 1
    assert t.tracks[1].arrays()[1][:, 0, 0].tolist() == [1.0, 2.0, 3.0, 4.0]  # frame 2 interpolated, not 9


def test_wrong_joint_count_skips_only_that_person() -> None:
    t = table()
    stats = t.add_frame(at30(1), [person(1, joints=25), person(2)], (640, 480))
    assert stats.wrong_joint_count == 1 and stats.accepted == 1
    assert list(t.tracks) == [2]


def test_non_finite_joints_become_missing_joints() -> None:
    t = table()
    p = person(1)
    p.coords[3] = np.nan
    p.coords[4, 1] = np.inf
    p.scores[5] = np.nan
    stats = t.add_frame(1, [p], (640, 480))
    _, coords, scores = t.tracks[1].arrays()
    assert stats.non_finite_joints == 3
    assert np.isfinite(coords).all() and np.isfinite(scores).all()
    assert (scores[0, 3:6] == 0).all() and (coords[0, 3:6] == 0).all()
    assert (scores[0, :3] == np.float32(0.9)).all()


def test_track_returning_within_timeout_continues_after_it_restarts() -> None:
    t = table()
    t.add_frame(0, [person(1)], (640, 480))
    t.add_frame(1 * SEC, [person(2)], (640, 480))  # track 1 absent for a second
    back = t.add_frame(int(1.5 * SEC), [person(1)], (640, 480))
    # the second it was unseen is bridged by interpolation (the window keeps its span in time)
    assert back.restarted_tracks == [] and t.tracks[1].total_frames == 2 and len(t.tracks[1]) == 10
    # The id reappears after longer than the timeout: the tracker may have reused it for someone else.
    t.add_frame(3 * SEC, [person(2)], (640, 480))
    reused = t.add_frame(int(3.6 * SEC), [person(1, 5.0)], (640, 480))
    assert reused.restarted_tracks == [1] and len(t.tracks[1]) == 1


def test_expire_drops_tracks_unseen_for_the_timeout() -> None:
    t = table()
    t.add_frame(0, [person(1), person(2)], (640, 480))
    t.add_frame(SEC, [person(2)], (640, 480))
    assert t.expire() == []
    t.add_frame(int(2.5 * SEC), [person(2)], (640, 480))
    assert t.expire() == [1] and list(t.tracks) == [2]


def test_memory_stays_bounded_with_endless_new_ids() -> None:
    t = table(max_tracks=20)
    for frame in range(500):
        stats = t.add_frame(at30(frame), [person(frame * 3 + k) for k in range(3)], (640, 480))
        assert len(t) <= 20
    assert len(t) == 20 and stats.evicted_tracks  # the oldest go first
    assert sorted(t.tracks) == list(range(1500 - 20, 1500))


def test_hundred_tracks_in_one_frame_keeps_max_tracks() -> None:
    t = table(max_tracks=50)
    stats = t.add_frame(1, [person(i) for i in range(100)], (640, 480))
    assert stats.accepted == 100 and len(stats.evicted_tracks) == 50 and len(t) == 50


def test_due_respects_min_frames_and_stride() -> None:
    t = table()
    for i in range(6):
        t.add_frame(at30(i), [person(1), person(2)] if i < 5 else [person(1)], (640, 480))
    assert [x.track_id for x in t.due(min_frames=6, stride=1)] == [1]  # track 2 has only 5 frames
    assert sorted(x.track_id for x in t.due(min_frames=5, stride=1)) == [1, 2]  # 2 just left: still due
    t.tracks[1].frames_since_inference = 2
    t.tracks[2].frames_since_inference = 0
    assert t.due(min_frames=1, stride=3) == []
    t.add_frame(at30(7), [person(1)], (640, 480))
    assert [x.track_id for x in t.due(min_frames=1, stride=3)] == [1]  # 2 gets no new frames: not again
