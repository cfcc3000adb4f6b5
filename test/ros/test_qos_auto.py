"""InputSubscription (nodes/qos.py): `auto` follows the publishers' reliability; silence is reported.

Real DDS between two rclpy nodes (rclpy has no intra-process shortcut), 640x480 images on the default
transport without the shared-memory profile: the case where a best-effort subscriber loses the frames
of a reliable camera driver.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy")
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402

from action_recognition.nodes.qos import (  # noqa: E402
    InputSubscription,
    reliability_for_publishers,
)

RELIABLE, BEST_EFFORT = ReliabilityPolicy.RELIABLE, ReliabilityPolicy.BEST_EFFORT


def test_reliability_for_publishers() -> None:
    assert reliability_for_publishers([]) == RELIABLE  # the usual case; a best-effort one raises an event
    assert reliability_for_publishers([RELIABLE]) == RELIABLE
    assert reliability_for_publishers([RELIABLE, RELIABLE]) == RELIABLE
    assert reliability_for_publishers([RELIABLE, BEST_EFFORT]) == BEST_EFFORT
    assert reliability_for_publishers([BEST_EFFORT]) == BEST_EFFORT


@pytest.fixture
def graph(monkeypatch):
    monkeypatch.delenv("FASTDDS_DEFAULT_PROFILES_FILE", raising=False)  # about the default transport
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    ex = SingleThreadedExecutor(context=ctx)
    nodes = []

    def make(name: str):
        node = rclpy.create_node(name, context=ctx)
        ex.add_node(node)
        nodes.append(node)
        return node

    def spin_until(cond, timeout: float = 15.0) -> bool:
        end = time.monotonic() + timeout
        while not cond() and time.monotonic() < end:
            ex.spin_once(timeout_sec=0.05)
        return cond()

    yield make, spin_until, ex
    ex.shutdown()
    for node in nodes:
        node.destroy_node()
    rclpy.shutdown(context=ctx)


def _image() -> Image:
    data = np.random.default_rng(0).integers(0, 256, 640 * 480 * 3, dtype=np.uint8).tobytes()
    return Image(height=480, width=640, encoding="bgr8", step=640 * 3, data=data)


def test_auto_follows_a_reliable_then_a_best_effort_publisher(graph) -> None:
    make, spin_until, _ = graph
    topic = f"/qos_auto_{os.getpid()}/image"
    got: list[Image] = []
    sub_node = make("qos_sub")
    sub = InputSubscription(sub_node, Image, topic, got.append, "auto", 5, check_period=0.2)
    assert sub.mode == "auto" and sub.reliability == "reliable"  # nobody publishes yet

    pub_node = make("camera_driver")
    reliable_pub = pub_node.create_publisher(Image, topic, QoSProfile(depth=10, reliability=RELIABLE))
    # The publisher sees one reliable subscription.
    assert spin_until(
        lambda: [i.qos_profile.reliability for i in pub_node.get_subscriptions_info_by_topic(topic)]
        == [RELIABLE]
    )
    frame = _image()
    for k in range(20):
        # Each before the next: the subscription keeps the last 5, and a spin that runs the mode-check
        # timer instead of the subscription leaves a frame unread; a backlog past 5 would be overwritten.
        reliable_pub.publish(frame)
        assert spin_until(lambda k=k: len(got) == k + 1), f"{len(got)}/{k + 1} reliable frames arrived"
    assert got[0].width == 640 and len(got[0].data) == 640 * 480 * 3

    # A best-effort publisher joins: a reliable subscription could not match it, so auto steps down.
    other = make("second_camera")
    other.create_publisher(Image, topic, QoSProfile(depth=5, reliability=BEST_EFFORT))
    assert spin_until(lambda: sub.reliability == "best_effort")
    sub.destroy()
    assert spin_until(lambda: not pub_node.get_subscriptions_info_by_topic(topic))


def test_auto_steps_down_for_a_lone_best_effort_publisher(graph) -> None:
    make, spin_until, ex = graph
    topic = f"/qos_be_{os.getpid()}/image"
    got: list[Image] = []
    # A long check period: the incompatible-QoS event, not the periodic check, makes it step down.
    sub = InputSubscription(make("qos_sub_be"), Image, topic, got.append, "auto", 5, check_period=60.0)
    assert sub.reliability == "reliable"
    pub = make("be_camera").create_publisher(Image, topic, QoSProfile(depth=5, reliability=BEST_EFFORT))
    assert spin_until(lambda: sub.reliability == "best_effort"), "no step down on the incompatible-QoS event"
    small = Image(height=2, width=2, encoding="bgr8", step=6, data=bytes(12))
    assert spin_until(lambda: pub.get_subscription_count() == 1)
    for _ in range(5):
        pub.publish(small)
        ex.spin_once(timeout_sec=0.05)
    assert spin_until(lambda: len(got) > 0)  # small best-effort messages arrive
    sub.destroy()


def test_fixed_reliability_and_silence_warning(graph) -> None:
    make, spin_until, _ = graph
    topic = f"/qos_silent_{os.getpid()}/image"
    sub_node = make("qos_sub_fixed")
    sub = InputSubscription(sub_node, Image, topic, lambda m: None, "best_effort", 5,
                            check_period=0.1, silence_s=0.5)
    pub_node = make("silent_camera")
    pub_node.create_publisher(Image, topic, QoSProfile(depth=10, reliability=RELIABLE))
    assert spin_until(lambda: bool(sub.silence_warning))
    assert sub.reliability == "best_effort"  # fixed: never changed
    text = sub.silence_warning
    assert topic in text and "/silent_camera: reliable" in text and "reliability=best_effort" in text
    assert "QoS" in text and "qos_reliability auto" in text
    sub.destroy()


def test_no_silence_warning_when_the_qos_matches(graph) -> None:
    # A matching publisher that sends nothing is just idle (a pose node without images): no QoS hint.
    make, spin_until, _ = graph
    topic = f"/qos_idle_{os.getpid()}/image"
    sub = InputSubscription(make("qos_sub_idle"), Image, topic, lambda m: None, "auto", 5,
                            check_period=0.1, silence_s=0.3)
    make("idle_camera").create_publisher(Image, topic, QoSProfile(depth=10, reliability=RELIABLE))
    assert spin_until(lambda: sub.reliability == "reliable")
    spin_until(lambda: bool(sub.silence_warning), 1.5)  # well past silence_s
    assert sub.silence_warning == ""
    sub.destroy()


def test_bad_reliability_is_refused(graph) -> None:
    make, _, _ = graph
    with pytest.raises(ValueError, match="expected one of auto, best_effort, reliable"):
        InputSubscription(make("qos_bad"), Image, "image", lambda m: None, "sometimes", 5)
