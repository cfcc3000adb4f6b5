"""Stamps that jump (a stray future stamp, a bag loop restart, a sim-time reset) never stop a track table.

Issue 13 item 1: one frame stamped a day ahead used to make every later frame "stale" for good.
"""

from __future__ import annotations

import numpy as np

from action_recognition.recognition.tracks import PersonFrame, TrackTable

V = 17
SEC = 1_000_000_000
DAY = 86_400 * SEC
T0 = 1_700_000_000 * SEC


def person(track_id: int, value: float) -> PersonFrame:
    return PersonFrame(track_id, np.full((V, 2), value, np.float32), np.full(V, 0.9, np.float32))


def table() -> TrackTable:
    return TrackTable(num_joints=V, window=90, timeout_ns=2 * SEC, max_tracks=20)


def at30(i: int, start: int = T0) -> int:
    return start + i * SEC // 30


def test_one_future_stamped_frame_costs_that_frame_only() -> None:
    t = table()
    for i in range(30):
        t.add_frame(at30(i), [person(1, i)], (640, 480))
    stray = t.add_frame(at30(30) + DAY, [person(1, 999.0)], (640, 480))
    assert stray.held_frame and stray.accepted == 0
    later = [t.add_frame(at30(i), [person(1, i)], (640, 480)) for i in range(31, 120)]
    assert all(s.accepted == 1 for s in later)  # nothing after the stray is lost
    assert later[0].dropped_held == 1 and all(s.clock_jump_ns is None for s in later)
    track = t.tracks[1]
    assert track.total_frames == 119 and len(track) == 90  # one window, never restarted
    assert 999.0 not in track.arrays()[1][:, 0, 0]


def test_one_past_stamped_frame_costs_that_frame_only() -> None:
    t = table()
    for i in range(10):
        t.add_frame(at30(i), [person(1, i)], (640, 480))
    assert t.add_frame(0, [person(1, 5.0)], (640, 480)).held_frame  # stamp 0 from a broken clock
    assert t.add_frame(at30(10), [person(1, 10)], (640, 480)).accepted == 1
    assert t.tracks[1].total_frames == 11


def test_bag_loop_restart_is_a_jump_back_windows_restart_nothing_lost() -> None:
    # `bag play --loop --rate 2` shifts each pass to "now": pass 2 starts half a pass behind pass 1's end.
    t = table()
    for i in range(120):  # pass 1: 4 s
        t.add_frame(at30(i), [person(1, i), person(2, -i)], (640, 480))
    restart = T0 + 2 * SEC
    first = t.add_frame(at30(0, restart), [person(1, 0.0), person(2, 0.0)], (640, 480))
    assert first.held_frame
    second = t.add_frame(at30(1, restart), [person(1, 1.0), person(2, -1.0)], (640, 480))
    assert second.clock_jump_ns == at30(0, restart) - at30(119)  # -2 s, reported once
    assert sorted(second.restarted_tracks) == [1, 2] and second.accepted == 4  # held frame used too
    for i in range(2, 120):
        assert t.add_frame(at30(i, restart), [person(1, i), person(2, -i)], (640, 480)).accepted == 2
    track = t.tracks[1]
    assert track.total_frames == 120 and abs(track.arrays()[1][0, 0, 0] - 30.0) < 1e-3  # only pass 2's frames
    assert t.expire() == []


def test_sim_time_reset_to_zero() -> None:
    t = table()
    for i in range(60):
        t.add_frame(at30(i), [person(1, i)], (640, 480))
    stats = [t.add_frame(at30(i, 0), [person(1, i)], (640, 480)) for i in range(60)]
    assert stats[0].held_frame and stats[1].clock_jump_ns is not None and stats[1].clock_jump_ns < -DAY
    assert sum(s.accepted for s in stats) == 60 and t.tracks[1].total_frames == 60


def test_forward_jump_confirmed_by_the_next_frame() -> None:
    t = table()
    for i in range(30):
        t.add_frame(at30(i), [person(1, i)], (640, 480))
    later = T0 + 3600 * SEC  # the clock was set an hour ahead and stays there
    assert t.add_frame(at30(0, later), [person(1, 0.0)], (640, 480)).held_frame
    confirmed = t.add_frame(at30(1, later), [person(1, 1.0)], (640, 480))
    assert confirmed.clock_jump_ns is not None and confirmed.clock_jump_ns > 3599 * SEC
    assert confirmed.restarted_tracks == [1] and t.tracks[1].total_frames == 2


def test_two_strays_in_a_row_then_the_stream() -> None:
    t = table()
    for i in range(10):
        t.add_frame(at30(i), [person(1, i)], (640, 480))
    assert t.add_frame(at30(10) + DAY, [person(1, 0.0)], (640, 480)).held_frame
    replaced = t.add_frame(5, [person(1, 0.0)], (640, 480))  # another, unrelated stray
    assert replaced.held_frame and replaced.dropped_held == 1
    assert t.add_frame(at30(10), [person(1, 10)], (640, 480)).dropped_held == 1
    assert t.tracks[1].total_frames == 11
