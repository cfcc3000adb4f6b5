"""The pose node in its own process: real images in, SkeletonArray / debug image / diagnostics out."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy")
from action_recognition.msg import SkeletonArray  # noqa: E402
from builtin_interfaces.msg import Time  # noqa: E402
from diagnostic_msgs.msg import DiagnosticArray  # noqa: E402
from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402
from ros_client import ContextNode  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402
from std_msgs.msg import Header  # noqa: E402

from action_recognition.paths import config_dir, default_pose_weights  # noqa: E402

NS = f"/pose_test_{os.getpid()}"
RELIABLE = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE)


def node_cmd(module: str, *ros_args: str) -> list[str]:
    return [sys.executable, "-m", module, "--ros-args", *ros_args]


class Client(ContextNode):
    """Test-side rclpy node in its own context: publishes images, records what comes back."""

    def __init__(self) -> None:
        super().__init__("pose_test_client")
        self.image_pub = self.node.create_publisher(Image, f"{NS}/image", RELIABLE)
        self.arrays: list[SkeletonArray] = []
        self.debug: list[Image] = []
        self.diags: list[DiagnosticArray] = []
        self.node.create_subscription(SkeletonArray, f"{NS}/skeletons", self.arrays.append, 50)
        self.node.create_subscription(Image, f"{NS}/debug_image", self.debug.append, 10)
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self.diags.append, 50)

    def send(self, image: np.ndarray | None, sec: int, encoding: str = "bgr8", **fields) -> None:
        msg = Image(header=Header(stamp=Time(sec=sec), frame_id="cam_test"), encoding=encoding)
        if image is not None:
            msg.height, msg.width = image.shape[:2]
            msg.step = image.strides[0]
            msg.data = image.tobytes()
        for k, v in fields.items():
            setattr(msg, k, v)
        self.image_pub.publish(msg)

    def array_at(self, sec: int) -> SkeletonArray | None:
        return next((a for a in self.arrays if a.header.stamp.sec == sec), None)

    def last_diag(self) -> dict[str, str]:
        for arr in reversed(self.diags):
            for st in arr.status:
                if "pose estimation" in st.name:
                    return {kv.key: kv.value for kv in st.values}
        return {}



@pytest.fixture(scope="module")
def zidane() -> np.ndarray:
    from ultralytics.utils import ASSETS

    return cv2.resize(cv2.imread(str(ASSETS / "zidane.jpg")), (640, 360), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """(client, pose node process, its log path) with discovery done both ways."""
    assert default_pose_weights().is_file(), "pose weights not installed (run install.sh)"
    log = tmp_path_factory.mktemp("pose_node") / "pose_node.log"
    # The shipped defaults file first (it must load), then the test's overrides.
    args = ["--params-file", str(config_dir() / "pose.yaml"), "-p", "imgsz:=320",
            "-p", "qos_reliability:=reliable", "-p", "qos_depth:=10",
            "-p", "publish_debug_image:=true", "-p", "diagnostics_period:=0.3"]
    for topic in ("image", "skeletons", "debug_image"):
        args += ["-r", f"{topic}:={NS}/{topic}"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(node_cmd("action_recognition.nodes.pose_node", *args),
                                cwd=log.parent, env=os.environ.copy(), stdout=out, stderr=subprocess.STDOUT)
    client = Client()
    try:
        ok = client.spin_until(lambda: proc.poll() is not None or (
            client.image_pub.get_subscription_count() > 0
            and client.node.count_publishers(f"{NS}/skeletons") > 0), 120)
        assert ok and proc.poll() is None, f"pose node did not come up:\n{log.read_text()}"
        yield client, proc, log
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        client.close()


def test_people_in_skeletons_out(running, zidane) -> None:
    client, _, _ = running
    client.send(zidane, sec=100)
    assert client.spin_until(lambda: client.array_at(100) is not None, 30)
    arr = client.array_at(100)
    assert arr.header.frame_id == "cam_test" and arr.header.stamp.nanosec == 0
    assert (arr.image_width, arr.image_height, arr.layout) == (640, 360, "coco")
    assert len(arr.skeletons) == 2
    assert len({s.track_id for s in arr.skeletons}) == 2 and all(s.track_id >= 1 for s in arr.skeletons)
    for s in arr.skeletons:
        assert s.layout == "coco" and not s.has_z and len(s.keypoints) == 17
        x1, y1, x2, y2 = s.bbox
        assert 0 <= x1 < x2 <= 640 and 0 <= y1 < y2 <= 360 and 0.25 <= s.bbox_score <= 1
        scores = np.array([k.score for k in s.keypoints])
        assert np.all((scores >= 0) & (scores <= 1)) and (scores > 0.5).sum() >= 5
        assert all(k.z == 0.0 for k in s.keypoints)
    # The debug image carries the same stamp, and the drawing changed pixels.
    assert client.spin_until(lambda: any(d.header.stamp.sec == 100 for d in client.debug), 10)
    dbg = next(d for d in client.debug if d.header.stamp.sec == 100)
    drawn = np.frombuffer(bytes(dbg.data), np.uint8).reshape(dbg.height, dbg.width, 3)
    assert drawn.shape == zidane.shape and np.abs(drawn.astype(int) - zidane).sum() > 0


def test_rgb8_with_row_padding_gives_the_same_people(running, zidane) -> None:
    client, _, _ = running
    rgb = cv2.cvtColor(zidane, cv2.COLOR_BGR2RGB)
    padded = np.zeros((360, 640 * 3 + 16), np.uint8)
    padded[:, : 640 * 3] = rgb.reshape(360, -1)
    msg_fields = {"height": 360, "width": 640, "step": 640 * 3 + 16, "data": padded.tobytes()}
    client.send(None, sec=110, encoding="rgb8", **msg_fields)
    assert client.spin_until(lambda: client.array_at(110) is not None, 30)
    assert len(client.array_at(110).skeletons) == 2


def test_nobody_gives_an_empty_array(running) -> None:
    client, _, _ = running
    client.send(np.full((240, 320, 3), 90, np.uint8), sec=120)
    assert client.spin_until(lambda: client.array_at(120) is not None, 30)
    arr = client.array_at(120)
    assert list(arr.skeletons) == [] and (arr.image_width, arr.image_height) == (320, 240)


def test_bad_frames_are_skipped_and_counted(running, zidane) -> None:
    client, proc, log = running

    def invalid() -> int:
        return int(client.last_diag().get("invalid_total", -1))

    assert client.spin_until(lambda: invalid() >= 0, 30)
    invalid_before = invalid()
    depth = np.zeros((8, 8), np.float32)  # a float depth image: not an encoding pose estimation takes
    bad = [
        ({"image": depth, "encoding": "32FC1"}),
        ({"image": depth, "encoding": "32FC1"}),  # the warning is logged once per encoding
        ({"image": None}),  # zero size
        ({"image": zidane, "data": zidane.tobytes()[:-100]}),  # shorter than height * step
        ({"image": None, "height": 100_000, "width": 100_000, "step": 300_000, "data": b"\0" * 64}),  # huge
    ]
    for i, fields in enumerate(bad):
        client.send(sec=130 + i, **fields)
        # One at a time: a frame still queued when the next arrives is dropped as stale, not checked.
        # Wait for the node's count, not a fixed time (a loaded machine may take longer than any).
        assert client.spin_until(lambda i=i: invalid() - invalid_before == i + 1, 30), (i, client.last_diag())
    client.send(zidane, sec=135)  # a good frame afterwards is still processed
    assert client.spin_until(lambda: client.array_at(135) is not None, 30), log.read_text()
    assert proc.poll() is None
    assert all(client.array_at(s) is None for s in range(130, 135))
    assert invalid() - invalid_before == 5
    text = log.read_text()
    assert text.count("unsupported image encoding '32FC1'") == 1
    assert "skipping image: zero-size image 0x0" in text  # later bad frames: same warning, throttled


def test_burst_faster_than_inference_processes_newest(running, zidane) -> None:
    client, _, _ = running
    n = 25
    for i in range(n):
        client.send(zidane, sec=200 + i)
    # The newest frame is always processed, most of the burst is dropped and counted.
    assert client.spin_until(lambda: client.array_at(200 + n - 1) is not None, 60)
    client.spin_until(lambda: False, 1.0)
    got = [a.header.stamp.sec for a in client.arrays if 200 <= a.header.stamp.sec < 200 + n]
    assert len(got) < n and got == sorted(got)
    assert client.spin_until(lambda: int(client.last_diag().get("dropped_total", 0)) > 0, 5)
    d = client.last_diag()
    accounted = int(d["processed_total"]) + int(d["dropped_total"]) + int(d["invalid_total"])
    assert int(d["received_total"]) == accounted
    assert float(d["inference_ms_mean"]) > 0 or d["inference_ms_mean"] == "nan"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-p", "model:=/nonexistent/pose.pt"], "pose model not found: /nonexistent/pose.pt"),
        (["-p", "layout:=nturgb+d"], "layout 'nturgb+d' has 25 joints but yolo11n-pose.pt predicts 17"),
        (["-p", "device:=tpu"], "unknown device 'tpu'"),
        (["-p", "qos_reliability:=sometimes"], "qos_reliability"),
    ],
)
def test_startup_errors_are_fatal_and_clear(args: list[str], message: str, tmp_path: Path) -> None:
    proc = subprocess.run(node_cmd("action_recognition.nodes.pose_node", "-p", "imgsz:=320", *args),
                          cwd=tmp_path, env=os.environ.copy(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert message in proc.stdout + proc.stderr


def test_compressed_input(tmp_path: Path, zidane) -> None:
    """compressed:=true subscribes to image/compressed and decodes JPEG."""
    from sensor_msgs.msg import CompressedImage

    ns = f"{NS}_c"
    args = ["-p", "imgsz:=320", "-p", "compressed:=true", "-p", "qos_reliability:=reliable",
            "-r", f"image/compressed:={ns}/image/compressed", "-r", f"skeletons:={ns}/skeletons"]
    proc = subprocess.Popen(node_cmd("action_recognition.nodes.pose_node", *args), cwd=tmp_path, text=True,
                            env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    node = rclpy.create_node("compressed_client", context=ctx)
    ex = rclpy.executors.SingleThreadedExecutor(context=ctx)
    ex.add_node(node)
    got: list[SkeletonArray] = []
    pub = node.create_publisher(CompressedImage, f"{ns}/image/compressed", RELIABLE)
    node.create_subscription(SkeletonArray, f"{ns}/skeletons", got.append, 10)
    try:
        end = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < end and not (
                pub.get_subscription_count() and node.count_publishers(f"{ns}/skeletons")):
            ex.spin_once(timeout_sec=0.05)
        assert proc.poll() is None, proc.communicate()[0]
        ok, jpeg = cv2.imencode(".jpg", zidane)
        assert ok
        pub.publish(CompressedImage(header=Header(stamp=Time(sec=300), frame_id="cam_c"), format="jpeg",
                                    data=jpeg.tobytes()))
        end = time.monotonic() + 30
        while not got and time.monotonic() < end:
            ex.spin_once(timeout_sec=0.05)
    finally:
        proc.terminate()
        proc.wait(10)
        ex.shutdown()
        node.destroy_node()
        rclpy.shutdown(context=ctx)
    assert got and got[0].header.stamp.sec == 300 and got[0].header.frame_id == "cam_c"
    assert (got[0].image_width, got[0].image_height) == (640, 360) and len(got[0].skeletons) == 2
