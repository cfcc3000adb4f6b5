"""Raw buffer -> BGR conversion: every encoding, row padding, byte order and the bad-input cases."""

from __future__ import annotations

import array

import numpy as np
import pytest

from action_recognition.pose.image_encoding import (
    MAX_PIXELS,
    ImageEncodingError,
    UnsupportedEncodingError,
    from_bgr8,
    is_supported,
    to_bgr8,
)

H, W = 5, 7


@pytest.fixture
def bgr() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (H, W, 3), dtype=np.uint8)


@pytest.mark.parametrize("encoding", ["bgr8", "rgb8", "bgra8", "rgba8"])
def test_colour_roundtrip(bgr: np.ndarray, encoding: str) -> None:
    data, step = from_bgr8(bgr, encoding)
    out = to_bgr8(data, encoding, W, H, step)
    assert out.shape == (H, W, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out, bgr)


def test_rgb_channel_order_is_swapped() -> None:
    # One pure-red RGB pixel must come out as BGR (0, 0, 255).
    out = to_bgr8(bytes([255, 0, 0]), "rgb8", 1, 1)
    assert out[0, 0].tolist() == [0, 0, 255]
    out = to_bgr8(bytes([255, 0, 0, 9]), "rgba8", 1, 1)
    assert out[0, 0].tolist() == [0, 0, 255]
    out = to_bgr8(bytes([255, 0, 0, 9]), "bgra8", 1, 1)
    assert out[0, 0].tolist() == [255, 0, 0]


def test_mono8_replicates_grey() -> None:
    grey = np.arange(H * W, dtype=np.uint8).reshape(H, W)
    out = to_bgr8(grey.tobytes(), "mono8", W, H)
    for c in range(3):
        np.testing.assert_array_equal(out[:, :, c], grey)


def test_step_padding_is_skipped(bgr: np.ndarray) -> None:
    step = W * 3 + 5
    padded = np.full((H, step), 0xEE, np.uint8)
    padded[:, : W * 3] = bgr.reshape(H, W * 3)
    out = to_bgr8(padded.tobytes(), "bgr8", W, H, step)
    np.testing.assert_array_equal(out, bgr)
    # The last row may come without its padding.
    out = to_bgr8(padded.tobytes()[:-5], "bgr8", W, H, step)
    np.testing.assert_array_equal(out, bgr)


@pytest.mark.parametrize("encoding", ["mono16", "16UC1"])
def test_16bit_byte_order(encoding: str) -> None:
    values = np.array([[0x1234, 0xFF00, 0x00FF]], dtype=np.uint16)
    little = to_bgr8(values.astype("<u2").tobytes(), encoding, 3, 1, is_bigendian=False)
    big = to_bgr8(values.astype(">u2").tobytes(), encoding, 3, 1, is_bigendian=True)
    assert little[0, :, 0].tolist() == [0x12, 0xFF, 0x00]
    np.testing.assert_array_equal(little, big)
    # Reading big-endian bytes as little-endian gives other values: the flag matters.
    wrong = to_bgr8(values.astype(">u2").tobytes(), encoding, 3, 1, is_bigendian=False)
    assert wrong[0, :, 0].tolist() != [0x12, 0xFF, 0x00]


def test_accepts_rclpy_array_and_numpy(bgr: np.ndarray) -> None:
    data, step = from_bgr8(bgr)
    np.testing.assert_array_equal(to_bgr8(array.array("B", data), "bgr8", W, H, step), bgr)
    np.testing.assert_array_equal(to_bgr8(np.frombuffer(data, np.uint8), "bgr8", W, H, step), bgr)


def test_unsupported_encoding() -> None:
    assert not is_supported("32FC1")
    with pytest.raises(UnsupportedEncodingError, match="32FC1") as info:
        to_bgr8(b"\0" * 16, "32FC1", 2, 2)
    assert info.value.encoding == "32FC1"


# BT.601 red: Y=81, U=90, V=240. Two pixels of it in each byte order.
RED_UYVY = bytes([90, 81, 240, 81])
RED_YUYV = bytes([81, 90, 81, 240])


@pytest.mark.parametrize(
    ("encoding", "data"),
    [("yuv422", RED_UYVY), ("UYVY", RED_UYVY), ("yuv422_yuy2", RED_YUYV), ("yuyv", RED_YUYV)],
)
def test_yuv422_byte_orders(encoding: str, data: bytes) -> None:
    assert is_supported(encoding)
    out = to_bgr8(data * 3, encoding, 2, 3)  # 2x3 pixels, no padding
    assert out.shape == (3, 2, 3)
    b, g, r = (int(v) for v in out[1, 1])
    assert r > 200 and g < 40 and b < 40, (encoding, b, g, r)
    # The other byte order reads the same bytes as a different colour: the order matters.
    other = "yuv422_yuy2" if data is RED_UYVY else "yuv422"
    b2, g2, r2 = (int(v) for v in to_bgr8(data * 3, other, 2, 3)[1, 1])
    assert not (r2 > 200 and g2 < 40 and b2 < 40)


def test_yuv422_with_padding_and_bad_width() -> None:
    step = 4 + 3
    rows = (RED_UYVY + b"\xee" * 3) * 2
    out = to_bgr8(rows, "yuv422", 2, 2, step)
    assert int(out[1, 1, 2]) > 200
    with pytest.raises(ImageEncodingError, match="even width"):
        to_bgr8(b"\0" * 6, "yuv422", 3, 1)
    with pytest.raises(ImageEncodingError, match="needs"):
        to_bgr8(RED_UYVY, "yuv422", 2, 2)  # one row short


def _mosaic(pattern: str, bgr: tuple[int, int, int], size: int = 8) -> bytes:
    """A uniform colour sampled through a Bayer filter named by its top-left 2x2 block (e.g. 'rggb')."""
    value = {"b": bgr[0], "g": bgr[1], "r": bgr[2]}
    tile = np.array([value[c] for c in pattern], np.uint8).reshape(2, 2)
    return np.tile(tile, (size // 2, size // 2)).tobytes()


@pytest.mark.parametrize("pattern", ["rggb", "bggr", "gbrg", "grbg"])
def test_bayer_mosaic_colours(pattern: str) -> None:
    colour = (30, 120, 220)  # B, G, R: all three distinct, so a swapped pattern shows
    encoding = f"bayer_{pattern}8"
    assert is_supported(encoding)
    out = to_bgr8(_mosaic(pattern, colour), encoding, 8, 8)
    assert out.shape == (8, 8, 3)
    # A uniform field demosaics exactly away from the border.
    np.testing.assert_array_equal(out[2:6, 2:6], np.broadcast_to(np.array(colour, np.uint8), (4, 4, 3)))
    # Read with the wrong pattern, the colour is wrong.
    wrong = {"rggb": "bggr", "bggr": "rggb", "gbrg": "grbg", "grbg": "gbrg"}[pattern]
    assert out[4, 4].tolist() != to_bgr8(_mosaic(pattern, colour), f"bayer_{wrong}8", 8, 8)[4, 4].tolist()


def test_bayer_short_buffer() -> None:
    with pytest.raises(ImageEncodingError, match="needs"):
        to_bgr8(b"\0" * 63, "bayer_rggb8", 8, 8)


@pytest.mark.parametrize(("w", "h"), [(0, 5), (5, 0), (-1, 3)])
def test_zero_size(w: int, h: int) -> None:
    with pytest.raises(ImageEncodingError, match="zero-size"):
        to_bgr8(b"", "bgr8", w, h)


def test_data_shorter_than_height_times_step() -> None:
    with pytest.raises(ImageEncodingError, match="needs"):
        to_bgr8(b"\0" * (W * 3 * H - 1), "bgr8", W, H)


def test_step_shorter_than_row() -> None:
    with pytest.raises(ImageEncodingError, match="step"):
        to_bgr8(b"\0" * 1000, "bgr8", W, H, step=W * 3 - 1)


def test_huge_image_refused_before_allocating() -> None:
    side = int(MAX_PIXELS**0.5) + 1
    with pytest.raises(ImageEncodingError, match="exceeds"):
        to_bgr8(b"\0" * 16, "mono8", side, side)
