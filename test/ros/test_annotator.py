"""The annotator node in its own process: image + skeletons + actions in, the labelled live view out."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy")
from action_recognition.msg import Action, ActionArray  # noqa: E402
from builtin_interfaces.msg import Time  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402
from ros_client import frames_to_msg  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402

from action_recognition.nodes import convert  # noqa: E402
from action_recognition.nodes.annotator_node import skeletons_to_draw  # noqa: E402
from action_recognition.pose.draw import draw_poses  # noqa: E402
from action_recognition.recognition import PersonFrame  # noqa: E402
from action_recognition.skeleton import get_layout  # noqa: E402

RELIABLE = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
W, H = 320, 240


def _person(tid: int) -> PersonFrame:
    rng = np.random.default_rng(tid)
    left = 40 + 120 * (tid - 1)
    xy = np.column_stack([rng.uniform(left, left + 100, 17), rng.uniform(60, 220, 17)])
    return PersonFrame(tid, xy, np.full(17, 0.9))


def test_annotated_image_has_skeletons_boxes_and_labels(tmp_path) -> None:
    ns = f"/annot_{os.getpid()}_{time.monotonic_ns() % 100000}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "action_recognition.nodes.annotator_node", "--ros-args", "-r", f"__ns:={ns}"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    node = rclpy.create_node("annotator_client", context=ctx)
    ex = SingleThreadedExecutor(context=ctx)
    ex.add_node(node)
    out: list[Image] = []
    image_pub = node.create_publisher(Image, f"{ns}/image", RELIABLE)
    skel_pub = node.create_publisher(type(frames_to_msg(0, [])), f"{ns}/skeletons", RELIABLE)
    action_pub = node.create_publisher(ActionArray, f"{ns}/actions", RELIABLE)
    node.create_subscription(Image, f"{ns}/annotated_image", out.append, RELIABLE)

    def spin_until(cond, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while not cond() and time.monotonic() < end and proc.poll() is None:
            ex.spin_once(timeout_sec=0.05)
        return cond()

    try:
        # Up, and its image input follows our reliable publisher (qos_reliability auto).
        assert spin_until(lambda: [i.qos_profile.reliability
                                   for i in node.get_subscriptions_info_by_topic(f"{ns}/image")]
                          == [ReliabilityPolicy.RELIABLE], 60), "annotator did not subscribe reliably"
        assert spin_until(lambda: skel_pub.get_subscription_count() and action_pub.get_subscription_count()
                          and node.count_publishers(f"{ns}/annotated_image"), 10)
        background = np.random.default_rng(1).integers(0, 256, (H, W, 3), dtype=np.uint8)
        people = [_person(1), _person(2)]
        stamps = [10**18 + k * 33_333_333 for k in range(2)]
        # Frame 0: no action yet -> no label. Frame 1: track 1 is "walking 0.91".
        for k, stamp in enumerate(stamps):
            if k == 1:
                actions = ActionArray(actions=[Action(track_id=1, class_id=2, label="walking", score=0.91)])
                actions.header.stamp = Time(sec=stamp // 10**9, nanosec=stamp % 10**9)
                action_pub.publish(actions)
                # Sent well before the skeletons; and when both wait in the annotator's queue, its
                # executor takes the actions first (that subscription is created first).
                spin_until(lambda: False, 0.3)
            skeletons = frames_to_msg(stamp, people, W, H)
            image = convert.bgr_to_image(background, skeletons.header)
            # Frame 0 as the pose node does it (image first), frame 1 the other way round: either
            # order of arrival must pair them.
            first, second = ((image_pub, image), (skel_pub, skeletons))[:: 1 if k == 0 else -1]
            first[0].publish(first[1])
            ex.spin_once(timeout_sec=0.1)
            second[0].publish(second[1])
            assert spin_until(lambda k=k: len(out) == k + 1, 15), f"no annotated image for frame {k}"
    finally:
        ex.shutdown()
        node.destroy_node()
        rclpy.shutdown(context=ctx)
        proc.send_signal(2)
        output = proc.communicate(timeout=15)[0]
    assert proc.returncode == 0 and "Traceback" not in output, output[-2000:]

    edges = tuple(get_layout("coco").edges)
    drawn = [convert.image_to_bgr(m) for m in out]
    assert [(m.header.stamp.sec * 10**9 + m.header.stamp.nanosec) for m in out] == stamps
    assert all(m.encoding == "bgr8" and (m.width, m.height) == (W, H) for m in out)
    persons = skeletons_to_draw(frames_to_msg(stamps[0], people, W, H))
    np.testing.assert_array_equal(drawn[0], draw_poses(background, persons, edges))
    np.testing.assert_array_equal(drawn[1], draw_poses(background, persons, edges, {1: "walking 0.91"}))
    assert not np.array_equal(drawn[0], drawn[1])  # the label is visible
    assert not np.array_equal(drawn[0], background)  # skeletons and boxes are drawn


def test_annotate_argument_adds_the_annotator_to_pipeline_and_demo() -> None:
    from action_recognition.launching.description import LaunchArgumentError, plan

    assert "annotator" not in [n.name for n in plan("pipeline").nodes]  # off by default
    nodes = {n.name: n for n in plan("pipeline", {"annotate": "True", "image": "/cam/image_raw",
                                                  "namespace": "robot"}).nodes}
    annotator = nodes["annotator"]
    assert annotator.executable == "annotator" and annotator.namespace == "/robot"
    assert annotator.remappings == nodes["pose_node"].remappings == (("image", "/cam/image_raw"),)
    demo = {n.name: n for n in plan("demo", {"annotate": "true", "output": "/tmp/x"}).nodes}
    assert "annotator" in demo
    # The video waits for the annotator too, or it could start before the recorder listens.
    assert demo["video_source"].parameters["wait_for_subscribers"] == 3
    plain = {n.name: n for n in plan("demo", {"output": "/tmp/x"}).nodes}
    assert plain["video_source"].parameters["wait_for_subscribers"] == 2
    with pytest.raises(LaunchArgumentError, match="annotate"):
        plan("pipeline", {"annotate": "maybe"})
