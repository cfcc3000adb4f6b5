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
