"""The real `ros2 launch` and `ros2` CLI against the launch files, as a ROS 2 user drives them.

One `ros2 launch action_recognition pipeline.launch.py` (in its own namespace, with a random-weight action
model so labels and the score threshold are predictable) is shared by the checks of the pipeline:
`ros2 node list`, `ros2 param get/set` (and that a set changes what the node does), read-only
parameters, `ros2 topic echo` of the actions, lifecycle transitions through the lifecycle_msgs services
(no `ros2 lifecycle` wheel exists here), and a clean stop on SIGINT. The other launch files are started
and stopped in one more test; `--show-args` is checked for each.

Needs `ros2` (launch, launch_ros, ros2cli): ./install.sh installs them where ../shared/ros2_python_wheels
exists (CI); elsewhere these tests skip.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy")
from action_recognition.msg import ActionArray, SkeletonArray  # noqa: E402
from lifecycle_msgs.msg import Transition  # noqa: E402
from lifecycle_msgs.srv import ChangeState, GetState  # noqa: E402
from random_model import save_random_model  # noqa: E402
from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402
from ros_client import ContextNode, frames_to_msg  # noqa: E402

from action_recognition.recognition import PersonFrame  # noqa: E402

ROS2 = Path(sys.prefix) / "bin" / "ros2"
pytestmark = pytest.mark.skipif(
    not ROS2.is_file(),
    reason="the ros2 CLI (launch, launch_ros, ros2cli) is not installed: ./install.sh installs it only "
    "where ../shared/ros2_python_wheels exists",
)
RELIABLE = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
LABELS = ["sit", "stand", "walk"]


def ros2_env() -> dict[str, str]:
    # A sourced workspace sets AMENT_PREFIX_PATH; the venv is this installation's prefix.
    prefixes = [sys.prefix, *filter(None, os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep))]
    return dict(os.environ, AMENT_PREFIX_PATH=os.pathsep.join(dict.fromkeys(prefixes)), PYTHONUNBUFFERED="1")


def ros2(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    # Graph verbs use the `ros2 daemon` (as users' shells do): it keeps what it discovered, where a
    # --no-daemon call gets only its --spin-time to find the node. The module stops it at the end.
    return subprocess.run([str(ROS2), *args], env=ros2_env(), capture_output=True, text=True, timeout=timeout)


def ros2_param(verb: str, node: str, *args: str, wait: float = 30) -> subprocess.CompletedProcess:
    """`ros2 param <verb> <node> ...`, once the CLI's own graph has the node.

    `ros2 node list` can list a node a moment before `param get` finds it: on a busy machine the
    daemon may not answer in time and the CLI falls back to a fresh graph of its own, which has not
    discovered anything yet ("Node not found"). Only that answer waits; any other is returned as is.
    """
    end = time.monotonic() + wait
    while True:
        got = ros2("param", verb, node, *args)
        if got.stderr.strip() != "Node not found" or time.monotonic() > end:
            return got
        time.sleep(0.5)


@pytest.fixture(scope="module", autouse=True)
def stop_ros2_daemon():
    yield
    ros2("daemon", "stop")  # it would outlive the suite


class Launch:
    """`ros2 launch action_recognition <file> <args>` in its own session, output to a file."""

    def __init__(self, folder: Path, launch_file: str, *args: str) -> None:
        self.log_path = folder / f"{launch_file}.log"
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [str(ROS2), "launch", "action_recognition", launch_file, *args],
            cwd=folder, env=ros2_env(), stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def output(self) -> str:
        return self.log_path.read_text()

    def stop(self, timeout: float = 30) -> str:
        """SIGINT, as Ctrl-C does; the launch must end by itself (no kill here)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise AssertionError(
                f"ros2 launch did not end within {timeout} s of SIGINT:\n{self.output()[-3000:]}") from None
        finally:
            self._log.close()
        return self.output()


def assert_clean_stop(output: str, nodes: list[str], returncode: int) -> None:
    assert returncode == 0, output[-3000:]
    assert "Traceback" not in output, output[-4000:]
    # launch escalates to SIGTERM/SIGKILL when a process ignores SIGINT; none may need it.
    assert "SIGTERM" not in output and "SIGKILL" not in output, output[-3000:]
    for node in nodes:
        assert f"[{node}-" in output and "process has finished cleanly" in output, output[-3000:]
    assert output.count("process has finished cleanly") == len(nodes), output[-3000:]


class Client(ContextNode):
    """Publishes skeletons of two people, records actions, calls lifecycle services."""

    def __init__(self, ns: str) -> None:
        super().__init__("ros2_launch_client")
        self.ns = ns
        self.pub = self.node.create_publisher(SkeletonArray, f"{ns}/skeletons", RELIABLE)
        self.actions: list[ActionArray] = []
        self.node.create_subscription(ActionArray, f"{ns}/actions", self.actions.append, RELIABLE)
        self.frame = 0

    def send(self, n: int) -> None:
        rng = np.random.default_rng(self.frame)
        for _ in range(n):
            people = [PersonFrame(tid, 200 + 40 * tid + rng.normal(0, 4, (17, 2)), np.full(17, 0.9))
                      for tid in (1, 2)]
            self.pub.publish(frames_to_msg(self.frame * 33_333_333, people))
            self.frame += 1
            self.executor.spin_once(timeout_sec=0.01)

    def labelled(self) -> list:
        return [a for arr in self.actions for a in arr.actions]

    def call(self, srv_type, name: str, request):
        client = self.node.create_client(srv_type, f"{self.ns}/action_node/{name}")
        assert client.wait_for_service(timeout_sec=10), name
        future = client.call_async(request)
        assert self.spin_until(future.done, 30), name
        self.node.destroy_client(client)
        return future.result()

    def state(self) -> str:
        return self.call(GetState, "get_state", GetState.Request()).current_state.label

    def transition(self, transition_id: int) -> bool:
        return self.call(ChangeState, "change_state",
                         ChangeState.Request(transition=Transition(id=transition_id))).success


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ros2_launch_pipeline")
    model = save_random_model(folder / "model", LABELS, seed=0)
    ns = f"/ros2launch_{os.getpid()}"
    launch = Launch(folder, "pipeline.launch.py", f"namespace:={ns}", "imgsz:=320", f"action_model:={model}")
    client = Client(ns)
    try:
        up = client.spin_until(lambda: client.pub.get_subscription_count() > 0
                               and client.node.count_publishers(f"{ns}/actions") > 0
                               and client.node.count_publishers(f"{ns}/skeletons") > 1, 120)
        assert up and launch.proc.poll() is None, launch.output()[-3000:]
        yield ns, client, launch
    finally:
        client.close()
        if launch.proc.poll() is None:
            launch.stop()


def test_node_list_and_param_get(pipeline) -> None:
    ns, _, _ = pipeline
    wanted = {f"{ns}/pose_node", f"{ns}/action_node"}
    end = time.monotonic() + 60
    while True:  # discovery is asynchronous: a just-started daemon may not have seen both nodes yet
        nodes = ros2("node", "list")
        assert nodes.returncode == 0, nodes.stderr
        if wanted <= set(nodes.stdout.split()) or time.monotonic() > end:
            break
    assert {f"{ns}/pose_node", f"{ns}/action_node"} <= set(nodes.stdout.split()), nodes.stdout
    got = ros2_param("get", f"{ns}/pose_node", "imgsz")  # the launch argument reached the node
    assert got.returncode == 0 and got.stdout.strip() == "Integer value is: 320", got.stdout + got.stderr
    got = ros2_param("get", f"{ns}/action_node", "qos_reliability")
    assert got.stdout.strip() == "String value is: auto", got.stdout + got.stderr


def test_param_set_changes_behaviour_and_read_only_is_refused(pipeline) -> None:
    ns, client, _ = pipeline
    client.send(12)  # random weights, 3 classes: top probability ~1/3, so every label is a class
    assert client.spin_until(lambda: len(client.labelled()) >= 2, 30)
    assert all(a.class_id >= 0 for a in client.labelled())

    result = ros2_param("set", f"{ns}/action_node", "score_threshold", "0.9")
    assert result.returncode == 0 and "Set parameter successful" in result.stdout, result.stderr
    got = ros2_param("get", f"{ns}/action_node", "score_threshold")
    assert got.stdout.strip() == "Double value is: 0.9"
    before = len(client.labelled())
    client.send(12)
    assert client.spin_until(lambda: len(client.labelled()) >= before + 2, 30)
    after = client.labelled()[before:]
    assert all(a.class_id == -1 and a.label == "unknown" for a in after), [(a.label, a.score) for a in after]
    ros2_param("set", f"{ns}/action_node", "score_threshold", "0.0")

    refused = ros2_param("set", f"{ns}/action_node", "window_s", "9.0")  # startup-only
    assert "Set parameter successful" not in refused.stdout, refused.stdout
    assert "read-only" in (refused.stdout + refused.stderr).lower(), refused.stdout + refused.stderr


def test_topic_echo_of_actions(pipeline) -> None:
    ns, client, _ = pipeline
    echo = subprocess.Popen(
        [str(ROS2), "topic", "echo", "--once", "--no-daemon", f"{ns}/actions",
         "action_recognition/msg/ActionArray"],
        env=ros2_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert client.spin_until(lambda: client.node.count_subscribers(f"{ns}/actions") >= 2, 30)
        # Seeing echo's subscription here does not mean the action node's publisher has matched it yet:
        # keep people coming until echo has printed one array (it exits after --once).
        end = time.monotonic() + 60
        while echo.poll() is None and time.monotonic() < end:
            client.send(6)
        out = echo.communicate(timeout=10)[0]
    finally:
        if echo.poll() is None:
            echo.kill()
            echo.wait()
    assert echo.returncode == 0, out
    assert "actions:" in out and "track_id:" in out and "bbox:" in out, out


def test_lifecycle_transitions(pipeline) -> None:
    _, client, _ = pipeline
    assert client.state() == "active"  # the launch file configured and activated it
    assert client.transition(Transition.TRANSITION_DEACTIVATE)
    assert client.state() == "inactive"
    # Deactivate released the input subscription.
    assert client.spin_until(lambda: client.pub.get_subscription_count() == 0, 10)
    assert client.transition(Transition.TRANSITION_ACTIVATE)
    assert client.state() == "active"
    assert client.spin_until(lambda: client.pub.get_subscription_count() == 1, 10)
    before = len(client.labelled())
    client.send(12)
    assert client.spin_until(lambda: len(client.labelled()) > before, 30), "no actions after re-activation"


def test_sigint_stops_everything_cleanly(pipeline) -> None:
    # Runs last in this module (pytest keeps file order): the shared launch ends here.
    _, _, launch = pipeline
    output = launch.stop()
    assert_clean_stop(output, ["pose_node", "action_node"], launch.proc.returncode)


def test_params_file_applies_in_a_namespace(tmp_path) -> None:
    """`ros2 run ... --params-file config/action.yaml` in a namespace: the '/**/action_node:' key matches."""
    model = save_random_model(tmp_path / "model", LABELS, seed=0)
    config = (Path(__file__).resolve().parents[2] / "config" / "action.yaml").read_text()
    assert "/**/action_node:" in config
    params = tmp_path / "action.yaml"
    config = config.replace("max_tracks: 50", "max_tracks: 7").replace('model: ""', f'model: "{model}"')
    assert "max_tracks: 7" in config and str(model) in config
    params.write_text(config)
    ns = f"/robot_{os.getpid()}/arm"
    log = (tmp_path / "run.log").open("w")
    proc = subprocess.Popen(
        [str(ROS2), "run", "action_recognition", "action_node", "--ros-args", "-r", f"__ns:={ns}",
         "--params-file", str(params)],
        env=ros2_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=tmp_path,
    )
    try:
        got = None
        end = time.monotonic() + 60
        while time.monotonic() < end and proc.poll() is None:
            got = ros2_param("get", f"{ns}/action_node", "max_tracks")
            if got.returncode == 0:
                break
        log_text = (tmp_path / "run.log").read_text()
        assert got is not None and got.stdout.strip() == "Integer value is: 7", log_text
        model_param = ros2_param("get", f"{ns}/action_node", "model")
        assert str(model) in model_param.stdout
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches `ros2 run` and the node it started
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        finally:
            log.close()
    output = (tmp_path / "run.log").read_text()
    assert proc.returncode == 0 and "Traceback" not in output, output[-3000:]


@pytest.mark.parametrize("launch_file", ["pipeline", "pose", "action", "demo"])
def test_show_args(launch_file: str) -> None:
    shown = ros2("launch", "action_recognition", f"{launch_file}.launch.py", "--show-args")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "'namespace':" in shown.stdout and "'use_sim_time':" in shown.stdout


def test_pose_and_action_launch_files_start_and_stop_cleanly(tmp_path) -> None:
    model = save_random_model(tmp_path / "model", LABELS, seed=0)
    ns = f"/parts_{os.getpid()}"
    pose = Launch(tmp_path, "pose.launch.py", f"namespace:={ns}/p", "imgsz:=320")
    action = Launch(tmp_path, "action.launch.py", f"namespace:={ns}/a", f"action_model:={model}",
                    f"skeletons:={ns}/p/skeletons")
    client = Client(f"{ns}/a")
    try:
        # The action node of one launch listens to the pose node of the other.
        assert client.spin_until(lambda: client.node.count_publishers(f"{ns}/p/skeletons") == 1
                                 and client.node.count_subscribers(f"{ns}/p/skeletons") == 1
                                 and client.node.count_publishers(f"{ns}/a/actions") == 1, 120), (
            pose.output()[-2000:] + action.output()[-2000:])
    finally:
        client.close()
        try:
            pose_out = pose.stop()
        finally:  # a failed stop of one launch must not leave the other running
            action_out = action.stop()
    assert_clean_stop(pose_out, ["pose_node"], pose.proc.returncode)
    assert_clean_stop(action_out, ["action_node"], action.proc.returncode)


def test_demo_launch_runs_to_the_end(tmp_path) -> None:
    # A short demo: 30 frames of the bundled video; it ends by itself with the recorder's summary.
    demo = Launch(tmp_path, "demo.launch.py", f"namespace:=/demo_{os.getpid()}", "max_frames:=30",
                  f"output:={tmp_path / 'out'}", "annotate:=true")
    try:
        demo.proc.wait(timeout=300)
    finally:
        output = demo.stop()
    assert demo.proc.returncode == 0, output[-3000:]
    assert "Traceback" not in output and "SIGKILL" not in output, output[-3000:]
    assert "demo finished" in output, output[-3000:]
    assert (tmp_path / "out" / "summary.json").is_file() and (tmp_path / "out" / "annotated.mp4").is_file()
