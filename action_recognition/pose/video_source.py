"""Frames of a video file or a camera device, with their index, timestamp and the source's frame rate."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

DEFAULT_FPS = 30.0  # when a camera or container does not report one


class VideoSourceError(RuntimeError):
    """The source cannot be opened."""


@dataclass(frozen=True)
class ShortPass:
    """A pass over a file that ended before the container's declared frame count: the file is cut
    short (an interrupted copy or recording) or has frames the decoder could not read."""

    decoded: int
    declared: int

    @property
    def missing(self) -> int:
        return self.declared - self.decoded

    def describe(self, source: object) -> str:
        return (f"{source}: only {self.decoded} of the {self.declared} frames its container declares could "
                f"be decoded ({self.missing} missing): the file is truncated or corrupt")


@dataclass
class VideoFrame:
    index: int  # 0-based frame number since open (keeps counting across loops)
    timestamp: float  # seconds: media time for files (index / fps), capture clock for cameras
    image: np.ndarray  # BGR uint8


def parse_source(source: str | int | Path) -> str | int:
    """'0' or 0 -> camera index 0; anything else is a file path (must exist)."""
    if isinstance(source, int) or (isinstance(source, str) and source.strip().isdigit()):
        return int(source)
    path = Path(source).expanduser()
    if not path.is_file():
        raise VideoSourceError(f"video file not found: {path}")
    return str(path)


class VideoSource:
    """Iterate a video file (optionally looping) or a camera: `for frame in VideoSource(path): ...`."""

    def __init__(self, source: str | int | Path, loop: bool = False) -> None:
        self.source = parse_source(source)
        self.is_camera = isinstance(self.source, int)
        self.loop = loop and not self.is_camera
        self._cap = cv2.VideoCapture(self.source)
        if not self._cap.isOpened():
            raise VideoSourceError(f"cannot open video source {source!r}")
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if 0.0 < fps < 1000.0 else DEFAULT_FPS
        self.frame_count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0) if not self.is_camera else 0
        self.width = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.short_pass: ShortPass | None = None  # set when a pass over a file ended early (see ShortPass)
        self.on_short_pass: Callable[[ShortPass], None] | None = None  # called at each such pass

    def _end_of_pass(self, decoded: int) -> None:
        if self.is_camera or self.frame_count <= 0 or decoded >= self.frame_count:
            return
        self.short_pass = ShortPass(decoded, self.frame_count)
        if self.on_short_pass is not None:
            self.on_short_pass(self.short_pass)

    def __iter__(self) -> Iterator[VideoFrame]:
        index = 0
        in_pass = 0  # frames decoded in this pass over the file
        while self._cap is not None:
            ok, image = self._cap.read()
            if not ok:
                self._end_of_pass(in_pass)
                in_pass = 0
                # End of file: rewind when looping, unless the file gave nothing at all.
                if self.loop and index > 0 and self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0):
                    ok, image = self._cap.read()
                if not ok:
                    return
            in_pass += 1
            if self.is_camera:
                ts = float(self._cap.get(cv2.CAP_PROP_POS_MSEC) or 0.0) / 1e3 or index / self.fps
            else:
                ts = index / self.fps
            yield VideoFrame(index=index, timestamp=ts, image=image)
            index += 1

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
