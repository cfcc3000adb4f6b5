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
    assert not is_supported("bayer_rggb8")
    with pytest.raises(UnsupportedEncodingError, match="bayer_rggb8") as info:
        to_bgr8(b"\0" * 4, "bayer_rggb8", 2, 2)
    assert info.value.encoding == "bayer_rggb8"


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
