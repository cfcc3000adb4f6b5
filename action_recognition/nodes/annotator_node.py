"""Annotator node: a live view with action labels. Image + skeletons + actions in, annotated image out.

Topics (remap with -r): `image` (sensor_msgs/Image), `skeletons` (SkeletonArray), `actions` (ActionArray)
in; `annotated_image` (bgr8, the source image's header) out: each person's skeleton, box, track id and
current action label ("walking 0.91"), drawn by action_recognition.pose.draw.

Pairing: a SkeletonArray carries its source image's stamp, so the node keeps the last `image_buffer`
images (and skeleton arrays whose image has not arrived yet) and draws each SkeletonArray on the image
with the same stamp, whichever arrives first (images without skeletons, e.g. frames the pose node
skipped, are not republished). A track's label is its newest Action; labels of
tracks that left are forgotten after `label_timeout` seconds of message time.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image

from action_recognition.msg import ActionArray, SkeletonArray
from action_recognition.nodes import convert
from action_recognition.nodes.params import INPUT_RELIABILITY, Param, declare
from action_recognition.nodes.qos import InputSubscription
from action_recognition.nodes.run import run_node
from action_recognition.pose.draw import draw_poses
from action_recognition.pose.image_encoding import ImageEncodingError
from action_recognition.skeleton import get_layout

ANNOTATOR_PARAMS: tuple[Param, ...] = (
    Param("qos_reliability", "auto", "image input QoS reliability; auto = follow the publishers",
          INPUT_RELIABILITY),
    Param("qos_depth", 5, "image input QoS history depth", low=1, high=1000),
    Param("image_buffer", 30, "images kept to pair with their skeletons (by stamp)", low=1, high=1000),
    Param("label_timeout", 2.0, "seconds (message stamps) a label outlives its track's last action",
          low=0.0, high=3600.0),
    Param("kpt_threshold", 0.3, "joints with a lower score are not drawn", low=0.0, high=1.0),
)

_RELIABLE = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)


@dataclass
class _Person:  # what draw_poses needs: keypoints (V, 3) x, y, score
    track_id: int
    keypoints: np.ndarray
    bbox: np.ndarray
    bbox_score: float


def skeletons_to_draw(msg: SkeletonArray) -> list[_Person]:
    """Image-plane x, y and score of every skeleton (z of a 3D skeleton is not drawn)."""
    out = []
    for sk in msg.skeletons:
        rows = convert.keypoint_rows(sk)
        out.append(_Person(int(sk.track_id), rows[:, (0, 1, 3)], np.asarray(sk.bbox, np.float32),
                           float(sk.bbox_score)))
    return out


def _ns(stamp) -> int:
    return int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)


class AnnotatorNode(Node):
    def __init__(self) -> None:
        super().__init__("annotator")
        self.p = p = declare(self, ANNOTATOR_PARAMS)
        self._images: OrderedDict[int, Image] = OrderedDict()  # stamp -> image, oldest first
        self._waiting: OrderedDict[int, SkeletonArray] = OrderedDict()  # skeletons before their image
        self._labels: dict[int, tuple[str, int]] = {}  # track id -> ("walking 0.91", action stamp)
        self._edges: dict[str, tuple] = {}  # layout name -> bones
        self.published = 0
        self.pub = self.create_publisher(Image, "annotated_image", 2)
        # Actions first: when both wait, the executor serves them in this order, so a label that
        # arrived with its frame's skeletons is drawn on that frame.
        self.create_subscription(ActionArray, "actions", self._on_actions, _RELIABLE)
        self.create_subscription(SkeletonArray, "skeletons", self._on_skeletons, _RELIABLE)
        self.image_sub = InputSubscription(self, Image, "image", self._on_image, p["qos_reliability"],
                                           p["qos_depth"])
        self.get_logger().info(
            f"drawing {self.resolve_topic_name('skeletons')} and {self.resolve_topic_name('actions')} on "
            f"{self.image_sub.describe()}; publishing {self.pub.topic_name}"
        )

    def _on_image(self, msg: Image) -> None:
        stamp = _ns(msg.header.stamp)
        skeletons = self._waiting.pop(stamp, None)
        if skeletons is not None:  # its skeletons came first (images are larger, and can be slower)
            self._draw(msg, skeletons)
            return
        self._images[stamp] = msg
        while len(self._images) > self.p["image_buffer"]:
            self._images.popitem(last=False)

    def _on_actions(self, msg: ActionArray) -> None:
        stamp = _ns(msg.header.stamp)
        for a in msg.actions:
            self._labels[int(a.track_id)] = (f"{a.label} {a.score:.2f}", stamp)

    def _layout_edges(self, name: str) -> tuple:
        if name not in self._edges:
            try:
                self._edges[name] = tuple(get_layout(name).edges)
            except Exception:  # an unknown layout: joints and boxes still show, without bones
                self.get_logger().warning(f"unknown skeleton layout {name!r}: drawing joints without bones")
                self._edges[name] = ()
        return self._edges[name]

    def _on_skeletons(self, msg: SkeletonArray) -> None:
        stamp = _ns(msg.header.stamp)
        image_msg = self._images.pop(stamp, None)
        if image_msg is None:  # not here yet (or lost): wait a while for it
            self._waiting[stamp] = msg
            while len(self._waiting) > self.p["image_buffer"]:
                self._waiting.popitem(last=False)
            return
        self._draw(image_msg, msg)

    def _draw(self, image_msg: Image, msg: SkeletonArray) -> None:
        stamp = _ns(msg.header.stamp)
        timeout = int(self.p["label_timeout"] * 1e9)
        self._labels = {t: v for t, v in self._labels.items() if stamp - v[1] <= timeout}
        try:
            image = convert.image_to_bgr(image_msg)
        except ImageEncodingError as exc:
            self.get_logger().warning(f"cannot draw on image: {exc}", throttle_duration_sec=5.0)
            return
        labels = {t: text for t, (text, _) in self._labels.items()}
        drawn = draw_poses(image, skeletons_to_draw(msg), self._layout_edges(msg.layout), labels,
                           kpt_threshold=self.p["kpt_threshold"], copy=False)
        self.pub.publish(convert.bgr_to_image(drawn, image_msg.header))
        self.published += 1


def main(args: list[str] | None = None) -> int:
    return run_node(AnnotatorNode, "annotator", args=args)


if __name__ == "__main__":
    sys.exit(main())
