"""The action node and the pose node as ROS 2 managed nodes in their own processes: lifecycle
transitions and the enable service through their real services (lifecycle_msgs, std_srvs), parameters
through rcl_interfaces (read-only, ranges, run-time changes that change the output, effective values),
namespaced parameter files, typo'd parameters, fully qualified diagnostics names, a quiet stop.
Stops mid-inference are tested in test_node_shutdown.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from diagnostic_msgs.msg import DiagnosticArray
from lifecycle_msgs.msg import State, Transition
from lifecycle_msgs.srv import ChangeState, GetState
from random_model import save_random_model
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import DescribeParameters, GetParameters, SetParameters
from ros_client import Client
from std_srvs.srv import SetBool

LABELS = ["sit", "stand", "walk"]


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    return save_random_model(tmp_path_factory.mktemp("model"), LABELS, seed=0)


def _ns() -> str:
    return f"/lifecycle_test_{os.getpid()}_{time.monotonic_ns() % 100000}"


def person(tid: int, frame: int) -> np.ndarray:
    rng = np.random.default_rng(tid * 7919 + frame)
    xy = 200 + 40 * tid + rng.normal(0, 4, (17, 2))
    return np.column_stack([xy, rng.uniform(0.4, 1.0, 17)]).astype(np.float32)


class Managed(Client):
    """The test client plus service calls to the node under test."""

    def __init__(self, ns: str) -> None:
        super().__init__(ns)
        self.ns = ns
        self.diags: list[DiagnosticArray] = []
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self.diags.append, 50)

    def call(self, srv_type: Any, name: str, request: Any, timeout: float = 30.0) -> Any:
        client = self.node.create_client(srv_type, f"{self.ns}/action_node/{name}")
        try:
            assert self.spin_until(client.service_is_ready, timeout), f"service {name} not available"
            future = client.call_async(request)
            assert self.spin_until(future.done, timeout), f"service {name} did not answer"
            return future.result()
        finally:
            self.node.destroy_client(client)

    def state(self, timeout: float = 30.0) -> str:
        return self.call(GetState, "get_state", GetState.Request(), timeout).current_state.label

    def transition(self, transition_id: int) -> bool:
        request = ChangeState.Request(transition=Transition(id=transition_id))
        return self.call(ChangeState, "change_state", request).success

    def get(self, *names: str) -> list[Any]:
        values = self.call(GetParameters, "get_parameters", GetParameters.Request(names=list(names))).values
        return [_plain(v) for v in values]

    def set(self, name: str, value: Any) -> tuple[bool, str]:
        result = self.call(SetParameters, "set_parameters",
                           SetParameters.Request(parameters=[Parameter(name=name, value=_value(value))]))
        return result.results[0].successful, result.results[0].reason

    def input_subscribers(self) -> int:
        return self.pub.get_subscription_count()


def _ns_of(stamp: Any) -> int:
    return stamp.sec * 1_000_000_000 + stamp.nanosec


def _value(v: Any) -> ParameterValue:
    if isinstance(v, bool):
        return ParameterValue(type=ParameterType.PARAMETER_BOOL, bool_value=v)
    if isinstance(v, int):
        return ParameterValue(type=ParameterType.PARAMETER_INTEGER, integer_value=v)
    if isinstance(v, float):
        return ParameterValue(type=ParameterType.PARAMETER_DOUBLE, double_value=v)
    return ParameterValue(type=ParameterType.PARAMETER_STRING, string_value=str(v))


def _plain(v: ParameterValue) -> Any:
    return {ParameterType.PARAMETER_BOOL: v.bool_value, ParameterType.PARAMETER_INTEGER: v.integer_value,
            ParameterType.PARAMETER_DOUBLE: v.double_value, ParameterType.PARAMETER_STRING: v.string_value,
            }.get(v.type)


@pytest.fixture
def node(model_path, tmp_path):
    started: list[tuple[subprocess.Popen, Managed]] = []

    def start(*params: str, ns: str | None = None, extra: tuple[str, ...] = ()) -> tuple[Any, Managed]:
        ns = ns or _ns()
        cmd = [sys.executable, "-m", "action_recognition.nodes.action_node", "--ros-args",
               "-r", f"__ns:={ns}", "-p", f"model:={model_path}", *extra]
        for p in params:
            cmd += ["-p", p]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                cwd=tmp_path)
        client = Managed(ns)
        started.append((proc, client))
        return proc, client

    yield start
    for proc, client in started:
        client.close()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def _stop(proc: subprocess.Popen, sig: int = signal.SIGINT) -> tuple[int, str]:
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=30)  # a hang guard, not a timing assertion
    return proc.returncode, out


def test_lifecycle_transitions_and_enable_service(node) -> None:
    proc, c = node("autostart:=false")
    # The first call waits for the node to start (imports, DDS discovery): the bound is for a loaded machine.
    assert c.state(timeout=60) == "unconfigured", proc.poll()
    assert c.input_subscribers() == 0 and not c.label_maps  # nothing loaded, nothing subscribed

    assert c.transition(Transition.TRANSITION_CONFIGURE)
    assert c.state() == "inactive"
    assert c.spin_until(lambda: bool(c.label_maps), 10)  # the model is loaded at configure
    assert c.label_maps[-1].labels == LABELS
    assert c.input_subscribers() == 0  # inactive: no input yet

    assert c.transition(Transition.TRANSITION_ACTIVATE)
    assert c.state() == "active"
    assert c.spin_until(lambda: c.input_subscribers() == 1, 10)

    assert c.transition(Transition.TRANSITION_DEACTIVATE)
    assert c.spin_until(lambda: c.input_subscribers() == 0, 10)  # deactivate releases the subscription
    assert c.transition(Transition.TRANSITION_ACTIVATE)
    assert c.spin_until(lambda: c.input_subscribers() == 1, 10)

    off = c.call(SetBool, "enable", SetBool.Request(data=False))
    assert off.success and "disabled" in off.message
    assert c.spin_until(lambda: c.input_subscribers() == 0, 10)
    assert c.state() == "active"  # enable pauses the input, it is not a lifecycle transition
    on = c.call(SetBool, "enable", SetBool.Request(data=True))
    assert on.success and c.spin_until(lambda: c.input_subscribers() == 1, 10)

    assert c.transition(Transition.TRANSITION_DEACTIVATE)
    assert c.transition(Transition.TRANSITION_CLEANUP)
    assert c.state() == "unconfigured"
    assert c.transition(Transition.TRANSITION_CONFIGURE)  # configure again after cleanup
    assert c.transition(Transition.TRANSITION_UNCONFIGURED_SHUTDOWN) is False  # not from inactive
    assert c.transition(Transition.TRANSITION_INACTIVE_SHUTDOWN)
    assert c.call(GetState, "get_state", GetState.Request()).current_state.id == State.PRIMARY_STATE_FINALIZED
    assert proc.poll() is None  # finalized, still answering; a signal ends it
    code, out = _stop(proc)
    assert code == 0 and "Traceback" not in out


def test_parameters_read_only_ranges_run_time_changes_and_effective_values(node) -> None:
    proc, c = node("window_s:=0.0", "stride_s:=0.0333", "min_window_s:=0.1")
    assert c.spin_until(lambda: bool(c.label_maps), 60), "node did not come up"
    assert c.spin_until(lambda: c.input_subscribers() == 1 and c.actions_sub.get_publisher_count() > 0, 10)
    # window_s 0 = the model's window: 16 frames at 30 fps; read back as the value in effect.
    window_s, = c.get("window_s")
    assert window_s == pytest.approx(16 / 30, abs=1e-3)

    ok, reason = c.set("window_s", 2.0)
    assert not ok and "read-only" in reason
    ok, reason = c.set("score_threshold", 1.5)
    assert not ok and "score_threshold" in reason
    ok, reason = c.set("min_window_s", 60.0)  # in range, but longer than the window
    assert not ok and "exceeds the window" in reason

    described = c.call(DescribeParameters, "describe_parameters",
                       DescribeParameters.Request(names=["score_threshold", "model"])).descriptors
    assert described[0].read_only is False and described[0].floating_point_range[0].to_value == 1.0
    assert described[1].read_only is True and "read-only" in described[1].description

    # Frames go out one by one, like a camera's, until results come back: the first ones may go out
    # before the node's publisher has matched our subscription (discovery is not symmetric).
    frame = 0

    def stream_until_labelled(after_ns: int) -> list:
        nonlocal frame
        end = time.monotonic() + 60
        while time.monotonic() < end:
            got = [a for a in c.actions_for(1) if _ns_of(a.window_end) > after_ns]
            if len(got) >= 3:
                return got
            c.send(frame, {1: person(1, frame)})
            c.spin_until(lambda: False, 0.03)
            frame += 1
        raise AssertionError(f"fewer than 3 labels after {frame} frames")

    assert all(a.label != "unknown" for a in stream_until_labelled(-1))  # threshold 0: always a class

    ok, _ = c.set("score_threshold", 1.0)  # random weights never reach 1.0: everything is unknown now
    assert ok and c.get("score_threshold") == [1.0]
    changed_at = (frame - 1) * 33_333_333  # the last frame sent before the change
    labelled = stream_until_labelled(changed_at)
    assert all(a.label == "unknown" and a.class_id == -1 for a in labelled)
    code, out = _stop(proc)
    assert code == 0 and "parameters changed: score_threshold=1.0" in out


def test_namespaced_partial_parameter_file_and_use_sim_time(node, tmp_path) -> None:
    params = tmp_path / "action.yaml"  # the shipped files' key style; only two values
    params.write_text("/**/action_node:\n  ros__parameters:\n    score_threshold: 0.25\n    smoothing: 0.5\n")
    proc, c = node("use_sim_time:=true", ns=f"{_ns()}/robot", extra=("--params-file", str(params)))
    assert c.spin_until(lambda: bool(c.label_maps), 60), "node did not come up"
    assert c.get("score_threshold", "smoothing", "max_batch", "use_sim_time") == [0.25, 0.5, 32, True]
    # Sim time is honoured: the node's clock (diagnostics stamps and timer) follows /clock, here 1000 s on.
    from builtin_interfaces.msg import Time
    from rosgraph_msgs.msg import Clock

    clock = c.node.create_publisher(Clock, "/clock", 10)
    fqn = f"{c.ns}/action_node"
    sim = [1000.0]

    def stamped() -> list[int]:
        sim[0] += 0.1
        clock.publish(Clock(clock=Time(sec=int(sim[0]), nanosec=int(sim[0] % 1 * 1e9))))
        return [a.header.stamp.sec for a in c.diags if any(st.hardware_id == fqn for st in a.status)]

    assert c.spin_until(lambda: bool(stamped()), 30)
    assert all(1000 <= sec < 2000 for sec in stamped())  # not the wall clock (~1.7e9 s)
    code, out = _stop(proc, signal.SIGTERM)
    assert code == 0 and "Traceback" not in out


def test_diagnostics_carry_the_fully_qualified_name(node) -> None:
    proc, c = node("diagnostics_period:=0.2")
    fqn = f"{c.ns}/action_node"

    def mine() -> list:
        return [s for arr in c.diags for s in arr.status if s.hardware_id == fqn]

    assert c.spin_until(lambda: bool(mine()), 60)
    assert mine()[0].name == f"{fqn}: action recognition"
    code, _ = _stop(proc)
    assert code == 0


@pytest.mark.parametrize(("args", "message"), [
    (("-p", "strid:=3"), "unknown parameter 'strid' (did you mean 'stride_s'?)"),
    (("-p", "diagnostics_period:=0.0"), "diagnostics_period"),
    (("-p", "smoothing:=2.0"), "smoothing"),
])
def test_bad_parameters_are_one_clear_line(model_path, tmp_path, args, message) -> None:
    cmd = [sys.executable, "-m", "action_recognition.nodes.action_node", "--ros-args",
           "-p", f"model:={model_path}", *args]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    out = run.stdout + run.stderr
    assert run.returncode == 1 and message in out and "Traceback" not in out


def test_typo_in_a_parameter_file_is_named(model_path, tmp_path) -> None:
    params = tmp_path / "action.yaml"
    params.write_text("/**/action_node:\n  ros__parameters:\n    strid: 3\n")
    cmd = [sys.executable, "-m", "action_recognition.nodes.action_node", "--ros-args",
           "-p", f"model:={model_path}", "--params-file", str(params)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    out = run.stdout + run.stderr
    assert run.returncode == 1 and "did you mean 'stride_s'" in out and "Traceback" not in out


def test_pose_node_run_time_parameters_change_its_output(tmp_path) -> None:
    """conf is applied from the next frame; publish_debug_image starts the debug image; imgsz is read-only."""
    from ros_client import ImageStreamer
    from sensor_msgs.msg import Image

    ns = _ns()
    cmd = [sys.executable, "-m", "action_recognition.nodes.pose_node", "--ros-args", "-r", f"__ns:={ns}",
           "-p", "imgsz:=320", "-p", "qos_reliability:=reliable", "-p", "diagnostics_period:=0.5"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    s = ImageStreamer(ns)
    debug: list[Image] = []
    diags: list[DiagnosticArray] = []
    s.node.create_subscription(Image, f"{ns}/debug_image", debug.append, 10)
    s.node.create_subscription(DiagnosticArray, "/diagnostics", diags.append, 50)

    def call(srv_type: Any, name: str, request: Any) -> Any:
        client = s.node.create_client(srv_type, f"{ns}/pose_node/{name}")
        assert s.stream_until(client.service_is_ready, 30)
        future = client.call_async(request)
        assert s.stream_until(future.done, 30)
        return future.result()

    def set_param(name: str, value: Any) -> Any:
        request = SetParameters.Request(parameters=[Parameter(name=name, value=_value(value))])
        return call(SetParameters, "set_parameters", request).results[0]

    try:
        assert s.stream_until(lambda: any(a.skeletons for a in s.got) or proc.poll() is not None, 120)
        assert proc.poll() is None and debug == []  # zidane.jpg: two people found; no debug image yet
        refused = set_param("imgsz", 640)
        assert not refused.successful and "read-only" in refused.reason
        assert set_param("conf", 0.999).successful and set_param("publish_debug_image", True).successful
        changed_at = s.n  # frames stamped after this one were sent after the change

        def after() -> list:
            return [a for a in s.got if a.header.stamp.sec > changed_at]

        assert s.stream_until(lambda: len(after()) >= 3 and len(debug) >= 3, 60)
        assert all(not a.skeletons for a in after())  # nobody passes conf 0.999
        fqn = f"{ns}/pose_node"
        assert s.stream_until(lambda: any(st.hardware_id == fqn for a in diags for st in a.status), 10)
        assert any(st.name == f"{fqn}: pose estimation" for a in diags for st in a.status)
    finally:
        s.close()
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "parameters changed: conf=0.999" in out, out


def test_pose_node_parameter_file_typo_is_named(tmp_path) -> None:
    params = tmp_path / "pose.yaml"
    params.write_text("/**/pose_node:\n  ros__parameters:\n    imgzs: 320\n")
    cmd = [sys.executable, "-m", "action_recognition.nodes.pose_node", "--ros-args",
           "--params-file", str(params)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    out = run.stdout + run.stderr
    assert run.returncode == 1 and "unknown parameter 'imgzs' (did you mean 'imgsz'?)" in out, out
    assert "Traceback" not in out
