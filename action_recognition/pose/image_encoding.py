"""Raw image buffers (as in sensor_msgs/Image) to BGR uint8 arrays, without ROS or cv_bridge.

The node uses this whenever cv_bridge is not importable (it is not on PyPI); it honours `step`
(row padding) and `is_bigendian`, and rejects bad buffers with `ImageEncodingError` so a caller can
log and skip one frame instead of crashing.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Larger images are refused: 16384 x 16384 would already be 768 MiB of BGR data.
MAX_PIXELS = 8192 * 8192


class ImageEncodingError(ValueError):
    """The buffer cannot be turned into an image (bad size, short data, ...)."""


class UnsupportedEncodingError(ImageEncodingError):
    """The encoding string is not one this module converts."""

    def __init__(self, encoding: str) -> None:
        supported = ", ".join(sorted(ENCODINGS))
        super().__init__(f"unsupported image encoding {encoding!r} (supported: {supported})")
        self.encoding = encoding


@dataclass(frozen=True)
class _Enc:
    channels: int
    dtype: str  # numpy base type; byte order applied from is_bigendian
    to_bgr: int | None  # cv2 colour conversion, None when already BGR


ENCODINGS: dict[str, _Enc] = {
    "bgr8": _Enc(3, "u1", None),
    "rgb8": _Enc(3, "u1", cv2.COLOR_RGB2BGR),
    "mono8": _Enc(1, "u1", cv2.COLOR_GRAY2BGR),
    "8uc1": _Enc(1, "u1", cv2.COLOR_GRAY2BGR),
    "8uc3": _Enc(3, "u1", None),  # OpenCV convention: 3-channel 8-bit is BGR
    "bgra8": _Enc(4, "u1", cv2.COLOR_BGRA2BGR),
    "rgba8": _Enc(4, "u1", cv2.COLOR_RGBA2BGR),
    "mono16": _Enc(1, "u2", cv2.COLOR_GRAY2BGR),
    "16uc1": _Enc(1, "u2", cv2.COLOR_GRAY2BGR),
    # YUV 4:2:2, two bytes per pixel (a U/V pair is shared by two pixels, so the width must be even).
    # ROS's "yuv422" is UYVY byte order; "yuv422_yuy2" and "yuyv" are YUYV.
    "yuv422": _Enc(2, "u1", cv2.COLOR_YUV2BGR_UYVY),
    "uyvy": _Enc(2, "u1", cv2.COLOR_YUV2BGR_UYVY),
    "yuv422_yuy2": _Enc(2, "u1", cv2.COLOR_YUV2BGR_YUYV),
    "yuyv": _Enc(2, "u1", cv2.COLOR_YUV2BGR_YUYV),
    # Raw Bayer mosaics, named by the colours of the top-left 2x2 block. OpenCV names its codes after
    # the second row's pattern, hence RGGB -> BayerBG (test_bayer_mosaic_colours checks each one).
    "bayer_rggb8": _Enc(1, "u1", cv2.COLOR_BayerBG2BGR),
    "bayer_bggr8": _Enc(1, "u1", cv2.COLOR_BayerRG2BGR),
    "bayer_gbrg8": _Enc(1, "u1", cv2.COLOR_BayerGR2BGR),
    "bayer_grbg8": _Enc(1, "u1", cv2.COLOR_BayerGB2BGR),
}

_PAIRED = {"yuv422", "uyvy", "yuv422_yuy2", "yuyv"}  # two pixels share one chroma pair


def is_supported(encoding: str) -> bool:
    return encoding.lower() in ENCODINGS


def to_bgr8(
    data: bytes | bytearray | memoryview | np.ndarray,
    encoding: str,
    width: int,
    height: int,
    step: int = 0,
    is_bigendian: bool = False,
) -> np.ndarray:
    """Convert one raw image buffer to a contiguous (height, width, 3) BGR uint8 array.

    `step` is the row length in bytes (0 means tightly packed). 16-bit images keep their top 8 bits
    (a depth map becomes a coarse grey image; good enough to run pose estimation on an IR stream).
    """
    enc = ENCODINGS.get(encoding.lower())
    if enc is None:
        raise UnsupportedEncodingError(encoding)
    if width <= 0 or height <= 0:
        raise ImageEncodingError(f"zero-size image {width}x{height}")
    if encoding.lower() in _PAIRED and width % 2:
        raise ImageEncodingError(f"{encoding} needs an even width (pixel pairs share chroma), got {width}")
    if width * height > MAX_PIXELS:
        raise ImageEncodingError(f"image {width}x{height} exceeds the limit of {MAX_PIXELS} pixels")
    itemsize = np.dtype(enc.dtype).itemsize
    row_bytes = width * enc.channels * itemsize
    step = step or row_bytes
    if step < row_bytes:
        raise ImageEncodingError(f"step {step} is shorter than one row ({row_bytes} bytes) for {encoding}")
    if isinstance(data, np.ndarray):
        buf = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
    else:
        buf = np.frombuffer(data, dtype=np.uint8)  # bytes, array.array('B') from rclpy, memoryview
    # The last row need not carry its padding.
    needed = step * (height - 1) + row_bytes
    if buf.size < needed:
        raise ImageEncodingError(
            f"data has {buf.size} bytes, a {width}x{height} {encoding} image with step {step} needs {needed}"
        )
    if buf.size < step * height:
        buf = np.concatenate([buf[:needed], np.zeros(step * height - needed, np.uint8)])
    rows = buf[: step * height].reshape(height, step)[:, :row_bytes]
    dtype = np.dtype(enc.dtype).newbyteorder(">" if is_bigendian else "<")
    img = np.ascontiguousarray(rows).view(dtype).reshape(height, width, enc.channels)
    if enc.channels == 1:
        img = img[:, :, 0]  # Bayer demosaicing wants a plain 2-D array
    if itemsize == 2:
        img = (img >> 8).astype(np.uint8)
    if enc.to_bgr is None:
        return np.ascontiguousarray(img)
    return cv2.cvtColor(img, enc.to_bgr)


def from_bgr8(image: np.ndarray, encoding: str = "bgr8") -> tuple[bytes, int]:
    """Encode a BGR uint8 image as `encoding` (bgr8, rgb8, mono8, bgra8, rgba8); returns (data, step)."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ImageEncodingError(f"expected an (H, W, 3) uint8 image, got {image.shape} {image.dtype}")
    conv = {
        "bgr8": None,
        "rgb8": cv2.COLOR_BGR2RGB,
        "mono8": cv2.COLOR_BGR2GRAY,
        "bgra8": cv2.COLOR_BGR2BGRA,
        "rgba8": cv2.COLOR_BGR2RGBA,
    }
    key = encoding.lower()
    if key not in conv:
        raise UnsupportedEncodingError(encoding)
    out = image if conv[key] is None else cv2.cvtColor(image, conv[key])
    out = np.ascontiguousarray(out)
    return out.tobytes(), out.strides[0]
