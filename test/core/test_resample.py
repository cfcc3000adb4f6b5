"""Resampling skeleton streams by their stamps onto the model's frame grid."""

from __future__ import annotations

import numpy as np
import pytest

from action_recognition.features.resample import FrameGrid, TrackResampler, resample_sequence

SEC = 1_000_000_000
V = 17


def linear_motion(stamps_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every joint moves at 300 px/s in x and 60 px/s in y (exact under linear interpolation)."""
    t = np.asarray(stamps_ns, np.float64)[:, None] / SEC
    x = 100 + 300 * t + np.arange(V)[None]
    y = 200 + 60 * t + 2 * np.arange(V)[None]
    coords = np.stack([x, y], axis=-1).astype(np.float32)
    return coords, np.full(coords.shape[:2], 0.9, np.float32)


def stamps_at(fps: float, seconds: float, start_ns: int = 0) -> np.ndarray:
    n = round(seconds * fps)
    return start_ns + np.round(np.arange(n) * SEC / fps).astype(np.int64)


def test_grid_is_exact_integer_arithmetic() -> None:
    grid = FrameGrid(30)
    assert [grid.stamp(k) for k in range(4)] == [0, 33_333_333, 66_666_666, 100_000_000]
    assert grid.index_at_or_before(99_999_999) == 3  # a few ns early still counts as on the frame
    assert grid.index_at_or_before(90_000_000) == 2
    ntsc = FrameGrid(29.97)
    assert ntsc.stamp(2997) == 100 * SEC  # 2997 frames in exactly 100 s
    assert FrameGrid(30).stamp(30 * 86400 * 20000) == 86400 * 20000 * SEC  # epoch-sized stamps stay exact


@pytest.mark.parametrize("fps", [0, -1, float("nan")])
def test_grid_refuses_bad_rates(fps) -> None:
    with pytest.raises(ValueError):
        FrameGrid(fps)


def test_stream_at_the_grid_rate_comes_back_unchanged() -> None:
    stamps = stamps_at(30, 2.0, start_ns=1_700_000_000 * SEC)
    coords, scores = linear_motion(stamps)
    coords += np.random.default_rng(0).normal(0, 3, coords.shape).astype(np.float32)  # not linear
    out_t, out_c, out_s = resample_sequence(stamps, coords, scores, 30)
    assert len(out_t) == len(stamps)
    np.testing.assert_array_equal(out_c, coords)
    np.testing.assert_array_equal(out_s, scores)


@pytest.mark.parametrize("fps", [10, 15, 24, 60])
def test_any_camera_rate_gives_the_30_fps_frames(fps) -> None:
    reference_t, reference_c, _ = resample_sequence(*_stream(30, 3.0), 30)
    out_t, out_c, out_s = resample_sequence(*_stream(fps, 3.0), 30)
    common = np.intersect1d(out_t, reference_t)
    assert len(common) >= len(reference_t) - 3  # the same grid frames (up to the stream's last one)
    ref = reference_c[np.isin(reference_t, common)]
    np.testing.assert_allclose(out_c[np.isin(out_t, common)], ref, atol=1e-2)
    assert (out_s == np.float32(0.9)).all()


def _stream(fps: float, seconds: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    stamps = stamps_at(fps, seconds, start_ns=5 * SEC)
    return (stamps, *linear_motion(stamps))


def test_dropped_frames_are_filled_in() -> None:
    stamps, coords, scores = _stream(30, 2.0)
    keep = np.ones(len(stamps), bool)
    keep[[5, 6, 7, 20, 33, 34]] = False
    full_t, full_c, _ = resample_sequence(stamps, coords, scores, 30)
    out_t, out_c, _ = resample_sequence(stamps[keep], coords[keep], scores[keep], 30)
    np.testing.assert_array_equal(out_t, full_t)
    np.testing.assert_allclose(out_c, full_c, atol=1e-2)


def test_jittered_stamps_give_one_frame_per_period() -> None:
    rng = np.random.default_rng(1)
    stamps = stamps_at(30, 4.0) + rng.integers(-8_000_000, 8_000_000, 120)
    stamps.sort()
    out_t, _, _ = resample_sequence(stamps, *linear_motion(stamps), 30)
    assert abs(len(out_t) - 120) <= 1
    assert (np.diff(out_t) > 33_000_000).all() and (np.diff(out_t) < 33_400_000).all()


def test_a_joint_missing_on_one_side_is_held_not_blended_with_zero() -> None:
    r = TrackResampler(FrameGrid(10))
    c0 = np.full((V, 2), 100.0, np.float32)
    s0 = np.full(V, 0.9, np.float32)
    c1, s1 = c0 + 30, s0.copy()
    c1[3], s1[3] = 0.0, 0.0  # joint 3 lost in the second frame
    r.push(0, c0, s0, 100)
    stamps, coords, scores = r.push(300_000_000, c1, s1, 100)  # 3 grid frames at 10 fps
    assert stamps == [100_000_000, 200_000_000, 300_000_000]
    np.testing.assert_allclose(coords[:, 0, 0], [110, 120, 130], atol=1e-4)
    assert coords[0, 3, 0] == 100 and scores[0, 3] == np.float32(0.9)  # nearer the first frame: held
    assert coords[2, 3, 0] == 0 and scores[2, 3] == 0  # nearer the second: missing, as reported


def test_max_out_bounds_the_frames_after_a_long_gap() -> None:
    r = TrackResampler(FrameGrid(30))
    c, s = np.zeros((V, 2), np.float32), np.ones(V, np.float32)
    r.push(0, c, s, 10)
    stamps, coords, _ = r.push(100 * SEC, c, s, 10)
    assert len(stamps) == 10 and coords.shape == (10, V, 2) and stamps[-1] == 100 * SEC


def test_first_frame_stands_for_the_grid_frame_at_or_before_it() -> None:
    r = TrackResampler(FrameGrid(30))
    c, s = np.zeros((V, 2), np.float32), np.ones(V, np.float32)
    stamps, _, _ = r.push(50_000_000, c, s, 10)
    assert stamps == [33_333_333]
    stamps, _, _ = r.push(60_000_000, c, s, 10)  # between the same two grid frames: nothing new
    assert stamps == []


def test_a_pyskl_sample_at_24_fps_becomes_30_fps() -> None:
    from action_recognition.features.resample import resample_sample

    stamps = stamps_at(24, 2.0)
    coords, scores = linear_motion(stamps)
    sample = {"keypoint": coords[None], "keypoint_score": scores[None], "total_frames": 48, "fps": 24.0,
              "label": 3}
    out = resample_sample(sample, 30.0)
    assert out["fps"] == 30.0 and out["label"] == 3 and out["total_frames"] == out["keypoint"].shape[1]
    assert out["keypoint"].shape == (1, 59, V, 2)  # 47/24 s of motion: grid frames 0..58 at 30 fps
    expected, _ = linear_motion(np.round(np.arange(59) * SEC / 30).astype(np.int64))
    np.testing.assert_allclose(out["keypoint"][0], expected, atol=0.05)
    assert resample_sample(out, 30.0) is out and sample["fps"] == 24.0  # input untouched
