"""ROS message <-> numpy conversion for images and skeletons (shared by the nodes and tools).

Images: our own decoder handles the common encodings (tested, fast, honours step and byte order);
cv_bridge, where importable, is only the fallback for encodings ours does not know (16-bit Bayer, ...).
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header

from action_recognition.msg import Keypoint, Skeleton, SkeletonArray
from action_recognition.nodes.keypoints import keypoint_rows
from action_recognition.pose.estimator import PersonPose
from action_recognition.pose.image_encoding import (
    ImageEncodingError,
    UnsupportedEncodingError,
    from_bgr8,
    is_supported,
    to_bgr8,
)

try:  # not on PyPI; present in a full ROS install
    from cv_bridge import CvBridge

    _BRIDGE: CvBridge | None = CvBridge()
except ImportError:
    _BRIDGE = None


def image_to_bgr(msg: Image) -> np.ndarray:
    """sensor_msgs/Image -> (H, W, 3) BGR uint8; raises ImageEncodingError (or its Unsupported subclass)."""
    if not is_supported(msg.encoding) and _BRIDGE is not None and msg.width * msg.height > 0:
        try:
            return np.ascontiguousarray(_BRIDGE.imgmsg_to_cv2(msg, desired_encoding="bgr8"))
        except Exception as exc:  # cv_bridge raises its own CvBridgeError
            raise UnsupportedEncodingError(msg.encoding) from exc
    return to_bgr8(msg.data, msg.encoding, msg.width, msg.height, msg.step, bool(msg.is_bigendian))


def compressed_to_bgr(msg: CompressedImage) -> np.ndarray:
    """sensor_msgs/CompressedImage (jpeg, png, ...) -> BGR uint8."""
    if len(msg.data) == 0:
        raise ImageEncodingError("empty compressed image")
    image = cv2.imdecode(np.frombuffer(msg.data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ImageEncodingError(f"cannot decode compressed image (format {msg.format!r})")
    return image


def bgr_to_image(image: np.ndarray, header: Header, encoding: str = "bgr8") -> Image:
    """BGR uint8 -> sensor_msgs/Image in `encoding` (bgr8, rgb8, mono8, bgra8, rgba8)."""
    data, step = from_bgr8(image, encoding)
    msg = Image(header=header, height=image.shape[0], width=image.shape[1], encoding=encoding, is_bigendian=0)
    msg.step = step
    msg.data = data  # bytes: assigning a numpy array is ~1000x slower in rclpy
    return msg


def persons_to_msg(
    persons: Iterable[PersonPose], header: Header, layout: str, width: int, height: int
) -> SkeletonArray:
    """Skeletons (keypoints (V, 3) x, y, score or (V, 4) x, y, z, score) -> SkeletonArray.

    Persons with a negative track id (untracked) are left out: Skeleton.track_id is never negative.
    """
    out = SkeletonArray(header=header, image_width=int(width), image_height=int(height), layout=layout)
    for p in persons:
        if p.track_id < 0:
            continue
        kp = np.asarray(p.keypoints, dtype=np.float32)
        has_z = kp.shape[1] == 4
        xs, ys, scores = kp[:, 0].tolist(), kp[:, 1].tolist(), kp[:, -1].tolist()
        zs = kp[:, 2].tolist() if has_z else [0.0] * len(kp)
        sk = Skeleton(track_id=int(p.track_id), layout=layout, has_z=has_z, bbox_score=float(p.bbox_score))
        rows = zip(xs, ys, zs, scores, strict=True)
        sk.keypoints = [Keypoint(x=x, y=y, z=z, score=s) for x, y, z, s in rows]
        sk.bbox = np.asarray(p.bbox, dtype=np.float32)
        out.skeletons.append(sk)
    return out


def msg_to_persons(msg: SkeletonArray) -> list[PersonPose]:
    """SkeletonArray -> PersonPose list; keypoints (V, 3) x, y, score, or (V, 4) x, y, z, score when has_z."""
    persons = []
    for sk in msg.skeletons:
        rows = keypoint_rows(sk)
        kp = rows if sk.has_z else rows[:, (0, 1, 3)]
        bbox = np.asarray(sk.bbox, np.float32)
        persons.append(PersonPose(int(sk.track_id), kp, bbox, float(sk.bbox_score)))
    return persons
