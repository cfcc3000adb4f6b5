"""launch/*.launch.py, evaluated with test doubles of `launch`/`launch_ros` (not installable here), start
the same nodes with the same names, namespaces, parameters, remappings and environment as
`action-recognition launch` does (its real command lines and parameter files are parsed here).
"""

from __future__ import annotations

import re
import runpy
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from action_recognition.launching import description
from action_recognition.launching.description import PIPELINES, LaunchArgumentError, plan
from action_recognition.launching.launcher import prepare

ROOT = Path(__file__).resolve().parents[1]
FAKES = Path(__file__).resolve().parent / "fakes"

CASES = [
    ("pipeline", {}),
    ("pipeline", {"image": "/camera/image_raw", "namespace": "robot", "imgsz": "320", "device": "cpu",
                  "debug_image": "true", "qos": "reliable", "pose_model": "/m/pose.pt",
                  "action_model": "/m/action.pth"}),
    ("pose", {"image": "/cam/image", "imgsz": "480"}),
    ("action", {"skeletons": "/robot/skeletons", "namespace": "/a/b", "action_model": "/m/x.onnx"}),
    ("demo", {"output": "/tmp/demo_out"}),
    ("demo", {"output": "/tmp/demo_out", "video": "/v/clip.mp4", "rate": "10", "width": "0",
              "max_frames": "60", "namespace": "demo", "imgsz": "640"}),
]


@pytest.fixture
def fake_launch():
    """Put the doubles first on sys.path for one test, then forget them again."""
    sys.path.insert(0, str(FAKES))
    try:
        import launch_ros.actions

        import launch

        assert Path(launch.__file__).is_relative_to(FAKES)
        yield launch, launch_ros.actions
    finally:
        sys.path.remove(str(FAKES))
        for name in [m for m in sys.modules if m.split(".")[0] in ("launch", "launch_ros")]:
            del sys.modules[name]


def evaluate(launch_file: Path, arguments: dict[str, str], fake_launch) -> tuple[list, list, dict]:
    """Run generate_launch_description() and its actions as `ros2 launch` would; return what it declared."""
    launch, _ = fake_launch
    from launch.actions import DeclareLaunchArgument, OpaqueFunction, SetEnvironmentVariable
    from launch_ros.actions import Node

    ld = runpy.run_path(str(launch_file))["generate_launch_description"]()
    assert isinstance(ld, launch.LaunchDescription)
    declared = [e for e in ld.entities if isinstance(e, DeclareLaunchArgument)]
    context = launch.LaunchContext({d.name: d.default_value for d in declared} | arguments)
    nodes, env, queue = [], {}, list(ld.entities)
    while queue:
        entity = queue.pop(0)
        if isinstance(entity, OpaqueFunction):
            queue[:0] = entity.execute(context) or []
        elif isinstance(entity, SetEnvironmentVariable):
            env[entity.name] = entity.value
        elif isinstance(entity, Node):
            nodes.append(entity)
    return declared, nodes, env


def launcher_view(argv: list[str]) -> dict[str, Any]:
    """name, namespace, parameters and remappings from the launcher's real command line and params file."""
    ros = argv[argv.index("--ros-args") + 1:]
    pairs = [(ros[i], ros[i + 1]) for i in range(0, len(ros), 2)]
    remaps = [tuple(v.split(":=", 1)) for flag, v in pairs if flag == "-r"]
    params_file = next(v for flag, v in pairs if flag == "--params-file")
    params = yaml.safe_load(Path(params_file).read_text())["/**"]["ros__parameters"]
    special = dict(r for r in remaps if r[0].startswith("__"))
    return {
        "module": argv[argv.index("-m") + 1],
        "name": special.get("__node"),
        "namespace": special.get("__ns"),
        "parameters": params,
        "remappings": [r for r in remaps if not r[0].startswith("__")],
    }


def cmake_executables() -> dict[str, str]:
    """executable -> module, from CMakeLists.txt's NODE_EXECUTABLES (what `ros2 run` can start)."""
    text = (ROOT / "CMakeLists.txt").read_text()
    block = re.search(r"set\(NODE_EXECUTABLES(.*?)\)", text, re.S).group(1)
    return {m[0]: m[1] for m in re.findall(r'"([^=]+)=([^:]+):main"', block)}


@pytest.mark.parametrize(("name", "arguments"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_launch_file_matches_local_launcher(name, arguments, fake_launch, tmp_path) -> None:
    from launch.actions import Shutdown

    declared, nodes, env = evaluate(ROOT / "launch" / f"{name}.launch.py", arguments, fake_launch)
    expected_args = PIPELINES[name].arguments()
    assert [(d.name, d.default_value, tuple(d.choices or ())) for d in declared] == [
        (a.name, a.default, a.choices) for a in expected_args
    ]
    p = plan(name, arguments)
    local = {prep.node.name: (prep, launcher_view(prep.argv)) for prep in prepare(p, tmp_path)}
    assert [n.name for n in nodes] == list(local), "same nodes, same order"
    assert env == p.env and env["FASTDDS_DEFAULT_PROFILES_FILE"].endswith(".xml")
    for node in nodes:
        prep, view = local[node.name]
        assert node.package == "action_recognition"
        assert node.executable == prep.node.executable and view["module"] == prep.node.module
        assert view["name"] == node.name
        assert (node.namespace or None) == view["namespace"]
        assert node.parameters == [view["parameters"]], "one dict, the launcher's /** file"
        assert [tuple(r) for r in node.remappings] == view["remappings"]
        assert all(prep.env[k] == v for k, v in env.items())
        on_exit = node.kwargs["on_exit"]
        if prep.node.on_exit == description.DONE_IF_CLEAN:  # video source: end of file is fine
            assert on_exit(type("Exited", (), {"returncode": 0})(), None) is None
            assert isinstance(on_exit(type("Exited", (), {"returncode": 1})(), None)[0], Shutdown)
        else:  # a node's exit ends the launch (ros2 launch's way of "stop everything")
            assert isinstance(on_exit[0], Shutdown)


def test_arguments_reach_the_nodes() -> None:
    p = plan("pipeline", dict(CASES[1][1]))
    pose, action = p.nodes
    assert pose.namespace == action.namespace == "/robot"
    assert pose.remappings == (("image", "/camera/image_raw"),) and action.remappings == ()
    assert pose.parameters["imgsz"] == 320 and pose.parameters["publish_debug_image"] is True
    assert pose.parameters["qos_reliability"] == "reliable" and pose.parameters["model"] == "/m/pose.pt"
    assert action.parameters["model"] == "/m/action.pth"
    # Everything else comes from config/*.yaml unchanged.
    assert pose.parameters["tracker"] == description.load_node_config(ROOT / "config/pose.yaml")["tracker"]
    action_file = description.load_node_config(ROOT / "config/action.yaml")
    assert action.parameters["stride_s"] == action_file["stride_s"]
    demo = {n.name: n for n in plan("demo", dict(CASES[5][1])).nodes}
    assert list(demo) == ["video_source", "pose_node", "action_node", "demo_recorder"]
    assert demo["video_source"].parameters["source"] == "/v/clip.mp4"
    assert demo["video_source"].parameters["rate"] == 10.0 and demo["video_source"].parameters["width"] == 0
    assert demo["pose_node"].parameters["imgsz"] == 640 and demo["demo_recorder"].namespace == "/demo"


def test_config_file_argument(tmp_path) -> None:
    custom = tmp_path / "pose.yaml"
    data = yaml.safe_load((ROOT / "config/pose.yaml").read_text())
    data["/**/pose_node"]["ros__parameters"]["conf"] = 0.6
    custom.write_text(yaml.safe_dump(data))
    pose = plan("pose", {"pose_config": str(custom)}).nodes[0]
    assert pose.parameters["conf"] == 0.6


def test_partial_config_file_keeps_the_other_defaults(tmp_path) -> None:
    custom = tmp_path / "pose.yaml"
    custom.write_text("/**/pose_node:\n  ros__parameters:\n    conf: 0.5\n")
    pose = plan("pose", {"pose_config": str(custom)}).nodes[0]
    assert pose.parameters["conf"] == 0.5 and pose.parameters["tracker"] == "bytetrack_robust.yaml"
    assert pose.parameters["imgsz"] == 640  # from the table, not a KeyError


@pytest.mark.parametrize(("node", "text", "message"), [
    ("pose", "imgzs: 320", r"unknown parameter 'imgzs' \(did you mean 'imgsz'\?\)"),
    ("action", "strid: 3", r"unknown parameter 'strid' \(did you mean 'stride_s'\?\)"),
    ("pose", "conf: high", "parameter 'conf' must be a float"),
    ("pose", "diagnostics_period: 0.0", r"parameter 'diagnostics_period' = 0.0 is outside \[0.1, 3600\]"),
    ("action", "qos_reliability: sometimes", "expected one of auto, best_effort, reliable"),
])
def test_config_file_errors_name_file_and_field(tmp_path, node, text, message) -> None:
    custom = tmp_path / f"{node}.yaml"
    custom.write_text(f"/**/{node}_node:\n  ros__parameters:\n    {text}\n")
    with pytest.raises(LaunchArgumentError, match=message) as err:
        plan(node, {f"{node}_config": str(custom)})
    assert str(custom) in str(err.value)


def test_boolean_arguments_accept_any_case() -> None:
    for text, value in (("True", True), ("FALSE", False), ("true", True)):
        pose = plan("pose", {"debug_image": text, "use_sim_time": text}).nodes[0]
        assert pose.parameters["publish_debug_image"] is value and pose.parameters["use_sim_time"] is value


@pytest.mark.parametrize(("arguments", "message"), [
    ({"imgsz": "big"}, "must be a int"),
    ({"qos": "fast"}, "expected one of"),
    ({"colour": "red"}, "unknown argument"),
    ({"debug_image": "maybe"}, "must be true or false"),
])
def test_bad_arguments_are_refused(arguments, message, fake_launch) -> None:
    with pytest.raises(LaunchArgumentError, match=message):
        plan("pipeline", arguments)
    if "colour" not in arguments:  # ros2 launch itself refuses undeclared arguments
        with pytest.raises(LaunchArgumentError, match=message):
            evaluate(ROOT / "launch" / "pipeline.launch.py", arguments, fake_launch)


def test_ros2_run_installs_every_launched_executable() -> None:
    """`ros2 launch` starts nodes through lib/action_recognition/<executable> (CMakeLists.txt)."""
    installed = cmake_executables()
    launched = {n.executable: n.module for name in PIPELINES for n in plan(name, {"output": "/tmp/x"}
                                                                          if name == "demo" else {}).nodes}
    missing = sorted(set(launched) - set(installed))
    assert not missing
    assert all(installed[e] == m for e, m in launched.items())


def test_autostart_argument_reaches_the_lifecycle_nodes() -> None:
    nodes = plan("pipeline", {"autostart": "false"}).nodes
    assert [n.parameters["autostart"] for n in nodes] == [False, False]
    assert all(n.parameters["autostart"] is True for n in plan("pipeline", {}).nodes)
    assert "autostart" not in {a.name for a in PIPELINES["demo"].arguments()}  # the demo must run
