"""VideoSource on the real demo video and on a small file written here."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from action_recognition.paths import demo_video
from action_recognition.pose.video_source import VideoSource, VideoSourceError, parse_source


@pytest.fixture
def small_video(tmp_path):
    """12 fps, 5 frames, each frame's pixels = 40 * its index (so order can be checked)."""
    path = tmp_path / "small.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 12.0, (64, 48))
    for i in range(5):
        writer.write(np.full((48, 64, 3), 40 * i, np.uint8))
    writer.release()
    return path


def test_demo_video_frames_fps_and_timestamps() -> None:
    with VideoSource(demo_video()) as src:
        assert src.fps == pytest.approx(30.0)
        assert (src.width, src.height, src.frame_count) == (1768, 994, 230)
        frames = [(f.index, f.timestamp, f.image.shape) for f in src]
    assert len(frames) == 230
    assert frames[0][:2] == (0, 0.0)
    assert frames[-1][0] == 229 and frames[-1][1] == pytest.approx(229 / 30)
    assert all(shape == (994, 1768, 3) for _, _, shape in frames)


def test_file_order_fps_and_end(small_video) -> None:
    src = VideoSource(str(small_video))
    assert src.fps == pytest.approx(12.0)
    frames = list(src)
    assert [f.index for f in frames] == [0, 1, 2, 3, 4]
    assert [f.timestamp for f in frames] == pytest.approx([i / 12 for i in range(5)])
    assert [round(float(f.image.mean()) / 40) for f in frames] == [0, 1, 2, 3, 4]
    src.close()
    assert list(src) == []  # closed: nothing more, no error


def test_loop_rewinds_and_keeps_counting(small_video) -> None:
    with VideoSource(small_video, loop=True) as src:
        frames = list(itertools.islice(src, 12))
    assert [f.index for f in frames] == list(range(12))
    assert [round(float(f.image.mean()) / 40) for f in frames] == [0, 1, 2, 3, 4] * 2 + [0, 1]
    assert frames[11].timestamp == pytest.approx(11 / 12)  # monotonic across the loop


def test_missing_file_and_camera(tmp_path) -> None:
    with pytest.raises(VideoSourceError, match="not found"):
        VideoSource(tmp_path / "missing.mp4")
    with pytest.raises(VideoSourceError, match="cannot open"):
        VideoSource(97)  # no such camera device here
    assert parse_source("2") == 2 and parse_source(3) == 3


def _cut(tmp_path, fraction: float):
    """The demo video cut short, as an interrupted copy leaves it (its index still declares 230 frames)."""
    data = demo_video().read_bytes()
    path = tmp_path / f"cut_{int(fraction * 100)}.mp4"
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def test_truncated_file_is_detected_with_counts(tmp_path) -> None:
    """A cut file decodes up to the cut and then ended like a complete one: nothing told them apart."""
    source = VideoSource(_cut(tmp_path, 0.3))
    decoded = sum(1 for _ in source)
    assert 0 < decoded < source.frame_count == 230
    assert source.short_pass is not None
    assert (source.short_pass.decoded, source.short_pass.declared) == (decoded, 230)
    assert f"only {decoded} of the 230 frames" in source.short_pass.describe("x.mp4")
    complete = VideoSource(demo_video())
    assert sum(1 for _ in complete) == 230 and complete.short_pass is None


def test_truncated_file_reports_every_loop_pass(tmp_path) -> None:
    source = VideoSource(_cut(tmp_path, 0.1), loop=True)
    passes = []
    source.on_short_pass = passes.append
    frames = list(itertools.islice(source, 100))
    per_pass = passes[0].decoded
    assert len(passes) == (100 - 1) // per_pass and all(p.decoded == per_pass for p in passes)
    assert [f.index for f in frames] == list(range(100))  # indexes keep counting across passes
