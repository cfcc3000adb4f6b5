"""`bag play` publishes a bag with the recorded spacing: its pacing on a fake clock (exact), and in its own
process to a subscriber here (order, content, stamps, and never ahead of the recorded schedule)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import rclpy
from action_recognition.msg import GroundTruth, SkeletonArray
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rosbags.typesys import Stores, get_types_from_msg, get_typestore

from action_recognition.bag.io import BagWriter
from action_recognition.bag.make import DEFAULT_START_NS
from action_recognition.bag.player import Player, PlayOptions

# Irregular spacing (ms) so a player that ignored the timestamps could not pass by luck.
OFFSETS_MS = [0, 40, 60, 200, 220, 230, 500, 520, 700, 760, 780, 1000]
UNKNOWN_TYPE = "not_installed_msgs/msg/Thing"


def _write_bag(path: Path) -> Path:
    with BagWriter(path, "sqlite3") as bag:
        store = bag.store
        t = store.types
        bag.add_topic("/skeletons", "action_recognition/msg/SkeletonArray")
        bag.add_topic("/ground_truth", "action_recognition/msg/GroundTruth")
        # A type this machine has no Python class for: play must skip it and play the rest.
        other = get_typestore(Stores.ROS2_KILTED)
        other.register(get_types_from_msg("int32 value\n", UNKNOWN_TYPE))
        unknown = bag._writer.add_connection("/thing", UNKNOWN_TYPE, typestore=other)
        for i, off in enumerate(OFFSETS_MS):
            ns = DEFAULT_START_NS + off * 1_000_000
            stamp = t["builtin_interfaces/msg/Time"](sec=ns // 10**9, nanosec=ns % 10**9)
            header = t["std_msgs/msg/Header"](stamp=stamp, frame_id=f"f{i}")
            msg = t["action_recognition/msg/SkeletonArray"](
                header=header, image_width=640, image_height=480, layout="coco", skeletons=[]
            )
            bag.write("/skeletons", ns, msg)
            bag._writer.write(unknown, ns, other.serialize_cdr(t_thing(other, i), UNKNOWN_TYPE))
        gt = t["action_recognition/msg/GroundTruth"](
            header=t["std_msgs/msg/Header"](stamp=stamp, frame_id="x"),
            track_id=-1,
            class_id=0,
            label="a",
            start=stamp,
            end=stamp,
            segment="s",
            classes=["a"],
        )
        bag.write("/ground_truth", DEFAULT_START_NS, gt)
    return path


def t_thing(store, i: int):
    return store.types[UNKNOWN_TYPE](value=i)


class Listener:
    def __init__(self, topic: str) -> None:
        self.ctx = rclpy.Context()
        rclpy.init(context=self.ctx)
        self.node = rclpy.create_node("bag_play_listener", context=self.ctx)
        self.got: list[tuple[int, SkeletonArray]] = []  # (wall-clock ns at receipt, message)
        self.gts: list[GroundTruth] = []
        qos = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
        self.node.create_subscription(
            SkeletonArray, topic, lambda m: self.got.append((time.time_ns(), m)), qos
        )
        self.node.create_subscription(GroundTruth, topic + "_gt", self.gts.append, qos)
        self.executor = rclpy.executors.SingleThreadedExecutor(context=self.ctx)
        self.executor.add_node(self.node)

    def spin_until(self, cond, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end and not cond():
            self.executor.spin_once(timeout_sec=0.002)
        return cond()

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.shutdown(context=self.ctx)


@pytest.fixture(scope="module")
def bag(tmp_path_factory) -> Path:
    return _write_bag(tmp_path_factory.mktemp("play") / "bag")


def _play(bag: Path, topic: str, *extra: str) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "action_recognition.cli.main",
        "bag",
        "play",
        str(bag),
        "--remap",
        f"/skeletons:={topic}",
        f"/ground_truth:={topic}_gt",
        "--wait-for-subscribers",
        "1",
        *extra,
    ]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=bag.parent)


def _topic(tag: str) -> str:
    return f"/bag_play_{tag}_{os.getpid()}_{time.monotonic_ns() % 100000}"


@pytest.mark.parametrize("rate", [1.0, 2.0])
def test_play_keeps_recorded_spacing_and_shifts_stamps(bag: Path, rate: float) -> None:
    topic = _topic("spacing")
    listener = Listener(topic)
    proc = _play(bag, topic, "--rate", str(rate))
    try:
        assert listener.spin_until(lambda: len(listener.got) == len(OFFSETS_MS) and listener.gts, 60)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        listener.close()
    assert proc.returncode == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["skipped_types"] == {"/thing": UNKNOWN_TYPE}  # skipped, the rest still played
    assert result["sent"] == {topic: len(OFFSETS_MS), f"{topic}_gt": 1}
    assert [m.header.frame_id for _, m in listener.got] == [f"f{i}" for i in range(len(OFFSETS_MS))]
    stamps = np.array([m.header.stamp.sec * 10**9 + m.header.stamp.nanosec for _, m in listener.got])
    # Receipt times carry two processes' scheduling delays, so the exact pacing is tested on a fake
    # clock (below). What holds on any machine, however loaded: the shifted first stamp is the wall time
    # the pass started, and no message can arrive before its place in the recorded schedule.
    received = np.array([t for t, _ in listener.got], np.int64)
    schedule = stamps[0] + np.array(OFFSETS_MS, np.int64) * 1_000_000 / rate
    early_ms = (schedule - received) / 1e6
    assert early_ms.max() < 1.0, early_ms  # 1 ms: the player reads the two clocks microseconds apart
    if rate > 1:  # the rate is applied: at rate 1 the last message would not be due for a full second
        assert received[-1] < stamps[0] + OFFSETS_MS[-1] * 1_000_000, (received[-1] - stamps[0]) / 1e6
    # One shift per pass: the recorded stamp spacing is kept exactly, and the stamps are "now".
    np.testing.assert_array_equal(np.diff(stamps), np.diff(OFFSETS_MS) * 1_000_000)
    assert abs(stamps[0] - time.time_ns()) < 60 * 10**9
    gt = listener.gts[0]
    assert gt.start.sec * 10**9 + gt.start.nanosec - stamps[-1] == 0  # GroundTruth start/end shifted alike


class FakeClock:
    """Seconds that pass only when the player sleeps, or when a test makes a publish slow."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> bool:
        self.now += seconds
        return False  # not stopped


def _send_times(bag: Path, rate: float, slow_publish: dict[int, float] | None = None) -> tuple[list, list]:
    """Plays /skeletons through a real node here on a fake clock: (send time of each message from the
    first, ms; the player's timing errors, ms). slow_publish: message index -> seconds its publish takes."""
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    node = rclpy.create_node("bag_play_paced", context=ctx)
    clock, sent = FakeClock(), []

    def on_publish(topic: str, original: int | None, stamp: int | None, wall_ns: int) -> None:
        sent.append(clock.now)
        clock.now += (slow_publish or {}).get(len(sent) - 1, 0.0)

    try:
        stats = Player(node, bag, PlayOptions(rate=rate, topics=["/skeletons"]), on_publish,
                       clock=clock, sleep=clock.sleep).run()
    finally:
        node.destroy_node()
        rclpy.shutdown(context=ctx)
    return [round((t - sent[0]) * 1e3, 6) for t in sent], [round(e, 6) for e in stats.timing_error_ms]


@pytest.mark.parametrize("rate", [0.5, 1.0, 2.0])
def test_pacing_follows_the_recorded_times_over_the_rate(bag: Path, rate: float) -> None:
    sent_ms, errors_ms = _send_times(bag, rate)
    assert sent_ms == [round(off / rate, 6) for off in OFFSETS_MS]
    assert errors_ms == [0.0] * len(OFFSETS_MS)


def test_a_late_message_does_not_shift_the_rest(bag: Path) -> None:
    """The schedule runs from the pass's start: after a slow publish (message 2 taking 300 ms, as a
    stalled machine would) the late ones go out at once and the player is back on time at 500 ms."""
    sent_ms, errors_ms = _send_times(bag, 1.0, slow_publish={2: 0.3})
    # OFFSETS_MS: 0, 40, 60, 200, 220, 230, 500, ...; message 2 ends at 60 + 300 = 360 ms.
    assert sent_ms == [0, 40, 60, 360, 360, 360, *OFFSETS_MS[6:]]
    assert errors_ms == [0, 0, 0, 160, 140, 130, *[0] * (len(OFFSETS_MS) - 6)]


def test_play_no_shift_loop_and_ctrl_c(bag: Path) -> None:
    topic = _topic("loop")
    listener = Listener(topic)
    proc = _play(bag, topic, "--loop", "--no-shift", "--rate", "4", "--topics", "/skeletons")
    try:
        assert listener.spin_until(lambda: len(listener.got) >= 2 * len(OFFSETS_MS) + 2, 60)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        listener.close()
    assert proc.returncode == 130, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["interrupted"] and result["passes"] >= 2 and result["sent"][topic] >= 2 * len(OFFSETS_MS)
    assert listener.gts == []  # --topics left the ground truth out
    stamps = [m.header.stamp.sec * 10**9 + m.header.stamp.nanosec for _, m in listener.got]
    recorded = [DEFAULT_START_NS + off * 1_000_000 for off in OFFSETS_MS]
    assert stamps[: 2 * len(OFFSETS_MS)] == recorded * 2  # original stamps, pass after pass


def _write_image_bag(path: Path, frames: int = 3) -> Path:
    """Full-HD images: each takes many DDS fragments, so delivery visibly lags publish()."""
    w, h = 1920, 1080
    with BagWriter(path, "sqlite3") as bag:
        t = bag.store.types
        bag.add_topic("/image", "sensor_msgs/msg/Image")
        for i in range(frames):
            ns = DEFAULT_START_NS + i * 10_000_000
            stamp = t["builtin_interfaces/msg/Time"](sec=ns // 10**9, nanosec=ns % 10**9)
            msg = t["sensor_msgs/msg/Image"](
                header=t["std_msgs/msg/Header"](stamp=stamp, frame_id=f"f{i}"), height=h, width=w,
                encoding="bgr8", is_bigendian=0, step=w * 3, data=np.full(w * h * 3, i, np.uint8),
            )
            bag.write("/image", ns, msg)
    return path


def test_play_delivers_every_message_before_exiting(tmp_path: Path) -> None:
    """The player used to destroy its node right after the last publish(): messages the subscriber
    had not acknowledged yet were dropped (the last one of 12 in 4 runs of 10; here, with large
    images, nearly always several). It now waits for the reliable acknowledgements."""
    from sensor_msgs.msg import Image

    bag = _write_image_bag(tmp_path / "images")
    topic = _topic("ack")
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    node = rclpy.create_node("bag_play_ack_listener", context=ctx)
    got: list[str] = []
    qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
    node.create_subscription(Image, topic, lambda m: got.append(m.header.frame_id), qos)
    executor = rclpy.executors.SingleThreadedExecutor(context=ctx)
    executor.add_node(node)
    cmd = [sys.executable, "-m", "action_recognition.cli.main", "bag", "play", str(bag),
           "--remap", f"/image:={topic}", "--wait-for-subscribers", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while proc.poll() is None:  # spin only while the player lives: what it delivered by its exit
            executor.spin_once(timeout_sec=0.01)
        for _ in range(50):  # then take what is already in this process's queue
            executor.spin_once(timeout_sec=0.01)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        executor.shutdown()
        node.destroy_node()
        rclpy.shutdown(context=ctx)
    assert proc.returncode == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["sent"] == {topic: 3} and result["unacknowledged"] == []
    assert got == ["f0", "f1", "f2"]


def test_play_sigterm_stops_with_summary(bag: Path) -> None:
    """SIGTERM (what supervisors send) used to end the player silently with 143 and no summary."""
    topic = _topic("term")
    listener = Listener(topic)
    proc = _play(bag, topic, "--loop", "--rate", "4", "--topics", "/skeletons")
    try:
        assert listener.spin_until(lambda: len(listener.got) >= 3, 60)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        listener.close()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["stopped_by"] == "SIGTERM" and result["interrupted"] and result["sent"][topic] >= 3
