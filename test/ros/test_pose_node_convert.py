"""Message conversion used by the pose node: images (raw, compressed) and skeleton arrays, both ways."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

pytest.importorskip("rclpy")
from builtin_interfaces.msg import Time
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header

from action_recognition.nodes import convert
from action_recognition.pose.estimator import PersonPose
from action_recognition.pose.image_encoding import ImageEncodingError, UnsupportedEncodingError

HEADER = Header(stamp=Time(sec=7, nanosec=9), frame_id="cam")


def test_image_roundtrip_each_encoding() -> None:
    bgr = np.random.default_rng(1).integers(0, 256, (6, 5, 3), np.uint8)
    for enc in ("bgr8", "rgb8", "bgra8", "rgba8"):
        msg = convert.bgr_to_image(bgr, HEADER, enc)
        assert (msg.encoding, msg.width, msg.height, msg.header.frame_id) == (enc, 5, 6, "cam")
        np.testing.assert_array_equal(convert.image_to_bgr(msg), bgr)


def test_image_errors() -> None:
    with pytest.raises(UnsupportedEncodingError):
        convert.image_to_bgr(Image(encoding="32FC1", width=2, height=2, step=8, data=b"\0" * 16))
    # yuv422 (UYVY) and Bayer messages decode without cv_bridge.
    yuv = Image(encoding="yuv422", width=2, height=2, step=4, data=b"\x80" * 8)
    assert convert.image_to_bgr(yuv).shape == (2, 2, 3)
    bayer = Image(encoding="bayer_grbg8", width=4, height=4, step=4, data=b"\0" * 16)
    assert convert.image_to_bgr(bayer).shape == (4, 4, 3)
    with pytest.raises(ImageEncodingError):
        convert.image_to_bgr(Image(encoding="bgr8", width=2, height=2, step=6, data=b"\0" * 5))


def test_compressed() -> None:
    bgr = np.zeros((40, 60, 3), np.uint8)
    bgr[:, :30] = (255, 0, 0)
    ok, png = cv2.imencode(".png", bgr)
    assert ok
    out = convert.compressed_to_bgr(CompressedImage(format="png", data=png.tobytes()))
    np.testing.assert_array_equal(out, bgr)
    with pytest.raises(ImageEncodingError, match="empty"):
        convert.compressed_to_bgr(CompressedImage(format="jpeg"))
    with pytest.raises(ImageEncodingError, match="cannot decode"):
        convert.compressed_to_bgr(CompressedImage(format="jpeg", data=b"not a jpeg"))


def test_skeleton_array_roundtrip_drops_untracked() -> None:
    kp = np.arange(17 * 3, dtype=np.float32).reshape(17, 3) / 100
    persons = [
        PersonPose(4, kp, np.array([1, 2, 3, 4], np.float32), 0.75),
        PersonPose(-1, kp, np.array([1, 2, 3, 4], np.float32), 0.5),  # untracked: not published
    ]
    msg = convert.persons_to_msg(persons, HEADER, "coco", 640, 480)
    assert (msg.header.stamp.sec, msg.header.stamp.nanosec, msg.header.frame_id) == (7, 9, "cam")
    assert (msg.image_width, msg.image_height, msg.layout) == (640, 480, "coco")
    assert len(msg.skeletons) == 1
    sk = msg.skeletons[0]
    assert (sk.track_id, sk.layout, sk.has_z, len(sk.keypoints)) == (4, "coco", False, 17)
    assert sk.keypoints[5].x == pytest.approx(kp[5, 0]) and sk.keypoints[5].score == pytest.approx(kp[5, 2])
    back = convert.msg_to_persons(msg)
    assert back[0].track_id == 4 and back[0].bbox_score == pytest.approx(0.75)
    np.testing.assert_allclose(back[0].keypoints, kp)
    np.testing.assert_allclose(back[0].bbox, [1, 2, 3, 4])


def test_3d_keypoints_set_has_z() -> None:
    kp = np.ones((25, 4), np.float32)
    kp[:, 2] = 2.5
    msg = convert.persons_to_msg([PersonPose(1, kp, np.zeros(4, np.float32), 1.0)], HEADER, "nturgb+d", 1, 1)
    assert msg.skeletons[0].has_z and msg.skeletons[0].keypoints[0].z == 2.5
    assert convert.msg_to_persons(msg)[0].keypoints.shape == (25, 4)
    empty = convert.persons_to_msg([], HEADER, "coco", 10, 10)
    assert list(empty.skeletons) == [] and convert.msg_to_persons(empty) == []
