"""The video tool labels a 10 fps clip as soon as a 30 fps one (real pose weights, shipped action model).

Windows counted in frames gave a 10 fps phone clip a 9 s window and its first label after 4.5 s, so
short clips got none (issue 12). Tracks are now resampled by the frames' media times to the model's
rate: half the default model's 3 s window, 1.5 s, gives the first label at any frame rate.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from action_recognition.paths import demo_video
from action_recognition.video_tool import VideoToolConfig, run_video

pytestmark = pytest.mark.usefixtures("installed_pose_assets")


def decimated(out: Path, keep_every: int, seconds: float) -> tuple[Path, float]:
    """The demo video's first `seconds`, every `keep_every`-th frame, at the matching lower rate."""
    cap = cv2.VideoCapture(str(demo_video()))
    fps = cap.get(cv2.CAP_PROP_FPS)
    writer = None
    for index in range(round(seconds * fps)):
        ok, frame = cap.read()
        if not ok:
            break
        if index % keep_every:
            continue
        if writer is None:
            height, width = frame.shape[:2]
            fourcc = cv2.VideoWriter_fourcc(*"mp4v")
            writer = cv2.VideoWriter(str(out), fourcc, fps / keep_every, (width, height))
        writer.write(frame)
    cap.release()
    writer.release()
    return out, fps / keep_every


def test_a_10_fps_clip_gets_its_first_label_within_2_s(tmp_path) -> None:
    clip, fps = decimated(tmp_path / "ten_fps.mp4", 3, 3.0)
    assert 9 <= fps <= 11
    config = VideoToolConfig(imgsz=320)
    result = run_video(clip, tmp_path / "out.mp4", config, progress=False, log=lambda _: None)
    assert result.frames == 30 and result.tracks
    frames = json.loads(Path(result.json_path).read_text())["frames"]
    labelled = [f["time_s"] for f in frames for p in f["persons"] if p["updated"]]
    assert labelled and min(labelled) <= 2.0, labelled
    assert result.model["model_fps"] == 30.0 and result.model["window_s"] == 3.0
