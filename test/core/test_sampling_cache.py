"""Test-mode frame indices are computed once per argument set: the same as computing them afresh."""

from __future__ import annotations

import numpy as np

from action_recognition.features.sampling import _indices, uniform_sample_frames


def test_cached_indices_equal_fresh_ones_for_every_window_length():
    for frames in range(1, 200):
        for clips in (1, 3):
            fresh = _indices(np.random.RandomState(255), frames, 48, clips, (1.0, 1.0), True)
            for _ in range(2):  # the second call comes from the cache
                np.testing.assert_array_equal(uniform_sample_frames(frames, 48, clips, test_mode=True), fresh)


def test_cached_indices_are_private_copies_keyed_by_every_argument():
    first = uniform_sample_frames(150, 48, test_mode=True)
    first[:] = 0  # a caller writing into its indices does not change the next caller's
    again = uniform_sample_frames(150, 48, test_mode=True)
    assert again.any()
    assert not np.array_equal(uniform_sample_frames(150, 48, test_mode=True, seed=1), again)
    assert not np.array_equal(uniform_sample_frames(150, 48, test_mode=True, p_interval=0.5), again)
    assert len(uniform_sample_frames(150, 40, test_mode=True)) == 40
