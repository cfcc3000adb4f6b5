"""The one description of what each pipeline starts: nodes, parameters, remappings, namespace, environment.

Both `launch/*.launch.py` (through `ros_launch`) and `action-recognition launch` (through `launcher`)
call `plan(name, arguments)` and start exactly the nodes it returns, so the two can never drift apart.
This module only reads YAML files: launch files import it, so it must not pull in torch or rclpy.

    p = plan("pipeline", {"image": "/camera/image_raw", "imgsz": "320"})
    for node in p.nodes: node.executable, node.parameters, node.remappings ...
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from action_recognition import paths
from action_recognition.nodes.params import (
    AUTOSTART,
    INPUT_RELIABILITY,
    NODE_TABLES,
    USE_SIM_TIME,
    check_config,
)

PACKAGE = "action_recognition"

# What the launchers do when a node's process exits by itself (not because the launch is stopping).
FAIL = "fail"  # a long-running node: any exit is a death -> stop everything, non-zero status
DONE_IF_CLEAN = "done_if_clean"  # finishes by itself (end of a video file): exit 0 is fine
END = "end"  # its exit ends the launch, with its exit status (the demo recorder)


class LaunchArgumentError(ValueError):
    """An unknown argument name, a value outside the choices, or a value of the wrong type."""


@dataclass(frozen=True)
class Argument:
    name: str
    default: str
    description: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class NodeLaunch:
    """One node process: `ros2 run action_recognition <executable>` == `python -m <module>`."""

    name: str
    executable: str
    module: str
    namespace: str  # "" = the root namespace
    parameters: dict[str, Any]  # complete: the config file's values with the arguments applied
    remappings: tuple[tuple[str, str], ...] = ()
    on_exit: str = FAIL
    prefix_output: bool = True  # False: its lines are the user-facing output (demo recorder)


@dataclass(frozen=True)
class LaunchPlan:
    name: str
    arguments: dict[str, str]  # every argument, defaults filled in
    nodes: tuple[NodeLaunch, ...]
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Pipeline:
    name: str
    summary: str
    arguments: Callable[[], tuple[Argument, ...]]  # a function: defaults come from the config files
    nodes: Callable[[dict[str, str]], list[NodeLaunch]]


def load_node_config(path: str | os.PathLike) -> dict[str, Any]:
    """The `ros__parameters` of a node parameter file (`/**/<node name>: ros__parameters: {...}`), checked
    against the node's parameter table: unknown keys are named (with 'did you mean'), values of the
    wrong type or range are refused, and keys the file leaves out get their defaults."""
    path = Path(path)
    if not path.is_file():
        raise LaunchArgumentError(f"parameter file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise LaunchArgumentError(f"{path}: not valid YAML: {exc}") from None
    sections = {
        str(k): v["ros__parameters"] for k, v in (data.items() if isinstance(data, dict) else ())
        if isinstance(v, dict) and isinstance(v.get("ros__parameters"), dict)
    }
    if len(sections) != 1:
        raise LaunchArgumentError(f"{path}: expected exactly one '/**/<node>: ros__parameters:' section")
    (key, values), = sections.items()
    table = NODE_TABLES.get(key.rstrip("/").rsplit("/", 1)[-1])
    if table is None:
        return dict(values)
    try:
        return check_config(table, values, str(path))
    except ValueError as exc:
        raise LaunchArgumentError(str(exc)) from None


def _typed(config: Mapping[str, Any], key: str, text: str, argument: str) -> Any:
    """A launch argument's text as the type the node's config file holds for `key`."""
    kind = type(config[key])
    if kind is str:
        return text
    value = yaml.safe_load(text) if text.strip() else None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        wanted = "true or false" if kind is bool else f"a {kind.__name__}"
        raise LaunchArgumentError(f"argument {argument}:={text!r} must be {wanted}")
    return value


def _node_params(config_file: str, overrides: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    """Config file values, then {param: (argument name, text)} overrides converted to the file's types."""
    params = {USE_SIM_TIME.name: USE_SIM_TIME.default, AUTOSTART.name: AUTOSTART.default,
              **load_node_config(config_file)}
    for key, (argument, text) in overrides.items():
        params[key] = _typed(params, key, text, argument)
    return params


def _config(name: str) -> str:
    return str(paths.config_dir() / name)


def _namespace(text: str) -> str:
    text = text.strip().strip("/")
    return f"/{text}" if text else ""


# ---- arguments ------------------------------------------------------------------------------------------

def _pose_defaults() -> dict[str, Any]:
    return load_node_config(_config("pose.yaml"))


def _pose_arguments(image: bool = True) -> tuple[Argument, ...]:
    pose = _pose_defaults()
    args = (
        Argument("namespace", "", "namespace of the nodes and their relative topics; empty = root"),
        Argument("pose_config", _config("pose.yaml"), "pose node parameter file (the base of the arguments)"),
        Argument("pose_model", "", "pose weights (.pt, .onnx, OpenVINO folder); empty = yolo11n-pose"),
        Argument("device", str(pose["device"]), "inference device of both nodes: cpu, cuda, cuda:N"),
        Argument("imgsz", str(pose["imgsz"]), "pose inference size; 320 is ~3x faster on a CPU"),
        # No `choices` for booleans: ros2 launch would then refuse `True`, which the nodes accept.
        Argument("debug_image", "false", "pose node publishes 'debug_image' (skeletons, boxes, ids): "
                 "true or false"),
        Argument("qos", str(pose["qos_reliability"]), "reliability of the image subscription; auto = follow "
                 "the publishers", INPUT_RELIABILITY),
        _USE_SIM_TIME,
    )
    if image:
        args = (Argument("image", "image", "input image topic (sensor_msgs/Image)"), *args)
    return args


_USE_SIM_TIME = Argument("use_sim_time", "false", "every node uses /clock (bag play --clock, a simulator): "
                         "true or false")
# Not in the demo, which needs its nodes running.
_AUTOSTART = Argument("autostart", "true", "the pose/action nodes configure and activate themselves; false = "
                      "they wait as unconfigured lifecycle nodes (ros2 lifecycle set / a lifecycle manager)")


def _action_arguments() -> tuple[Argument, ...]:
    return (
        Argument("action_config", _config("action.yaml"), "action node parameter file"),
        Argument("action_model", "",
                 "action model (.pth/.onnx/ensemble .yaml); empty = the shipped default model"),
        Argument("labels", "", "label file for a model without class names (PYSKL); empty = the model's"),
    )


_ANNOTATE = Argument("annotate", "false", "also start the annotator: 'annotated_image' shows each person's "
                     "skeleton, box and current action label (a live view): true or false")


def pipeline_arguments() -> tuple[Argument, ...]:
    return (*_pose_arguments(), *_action_arguments(), _ANNOTATE, _AUTOSTART)


def pose_arguments() -> tuple[Argument, ...]:
    return (*_pose_arguments(), _AUTOSTART)


def action_arguments() -> tuple[Argument, ...]:
    return (
        Argument("namespace", "", "namespace of the node and its relative topics; empty = root"),
        Argument("skeletons", "skeletons", "input SkeletonArray topic"),
        Argument("device", "cpu", "inference device: cpu, cuda, cuda:N"),
        _USE_SIM_TIME,
        *_action_arguments(),
        _AUTOSTART,
    )


def demo_arguments() -> tuple[Argument, ...]:
    # The demo publishes a 640-pixel-wide copy of the video (what a robot camera driver would deliver and
    # what the recorder writes out) and keeps the pose node's imgsz 640: at 320 the man on the block is
    # missed in most frames and gets a new id each time (docs/pose.md, "Recall and track ids").
    demo: dict[str, str] = {}
    pose = tuple(
        Argument(a.name, demo.get(a.name, a.default), a.description, a.choices)
        for a in _pose_arguments(image=False)
    )
    return (
        Argument("video", "", "video file to play; empty = the bundled demo video"),
        Argument("output", "", "folder for annotated.mp4, actions.json, summary.json; "
                 "empty = runs/demo/<date-time>"),
        Argument("rate", "0.0", "frames per second to publish; 0 = the file's own rate (a real camera)"),
        Argument("width", "640", "publish the video resized to this width; 0 = original size"),
        Argument("max_frames", "0", "stop the video after this many frames; 0 = the whole file"),
        *pose,
        *_action_arguments(),
        _ANNOTATE,
    )


# ---- nodes ------------------------------------------------------------------------------------------------

def _pose_node(a: dict[str, str], remappings: tuple[tuple[str, str], ...]) -> NodeLaunch:
    params = _node_params(a["pose_config"], {
        "model": ("pose_model", a["pose_model"]),
        "device": ("device", a["device"]),
        "imgsz": ("imgsz", a["imgsz"]),
        "publish_debug_image": ("debug_image", a["debug_image"]),
        "qos_reliability": ("qos", a["qos"]),
        "use_sim_time": ("use_sim_time", a["use_sim_time"]),
        **_autostart(a),
    })
    return NodeLaunch("pose_node", "pose_node", f"{PACKAGE}.nodes.pose_node", _namespace(a["namespace"]),
                      params, remappings)


def _action_node(a: dict[str, str], remappings: tuple[tuple[str, str], ...] = ()) -> NodeLaunch:
    params = _node_params(a["action_config"], {
        "model": ("action_model", a["action_model"]),
        "labels": ("labels", a["labels"]),
        "device": ("device", a["device"]),
        "use_sim_time": ("use_sim_time", a["use_sim_time"]),
        **_autostart(a),
    })
    return NodeLaunch("action_node", "action_node", f"{PACKAGE}.nodes.action_node",
                      _namespace(a["namespace"]), params, remappings)


def _annotator(a: dict[str, str], remappings: tuple[tuple[str, str], ...]) -> list[NodeLaunch]:
    """The annotator node when `annotate:=true` (image + skeletons + actions -> annotated_image)."""
    if not _typed({"annotate": False}, "annotate", a["annotate"], "annotate"):
        return []
    sim_time = _typed({"use_sim_time": False}, "use_sim_time", a["use_sim_time"], "use_sim_time")
    return [NodeLaunch("annotator", "annotator", f"{PACKAGE}.nodes.annotator_node",
                       _namespace(a["namespace"]), {"use_sim_time": sim_time}, remappings)]


def _autostart(a: dict[str, str]) -> dict[str, tuple[str, str]]:
    return {"autostart": ("autostart", a["autostart"])} if "autostart" in a else {}


def _remap(topic: str, value: str) -> tuple[tuple[str, str], ...]:
    return () if value == topic else ((topic, value),)


def pipeline_nodes(a: dict[str, str]) -> list[NodeLaunch]:
    # pose -> skeletons -> action: both relative, so they meet in the namespace without remapping.
    image = _remap("image", a["image"])
    return [_pose_node(a, image), _action_node(a), *_annotator(a, image)]


def pose_nodes(a: dict[str, str]) -> list[NodeLaunch]:
    return [_pose_node(a, _remap("image", a["image"]))]


def action_nodes(a: dict[str, str]) -> list[NodeLaunch]:
    return [_action_node(a, _remap("skeletons", a["skeletons"]))]


def demo_nodes(a: dict[str, str]) -> list[NodeLaunch]:
    ns = _namespace(a["namespace"])
    video = a["video"] or str(paths.demo_video())
    output = a["output"] or str(Path("runs") / "demo" / time.strftime("%Y%m%d-%H%M%S"))
    output = str(Path(output).expanduser().resolve())  # the same folder whatever cwd a node gets
    source_params = {
        "source": video,
        "rate": _typed({"rate": 0.0}, "rate", a["rate"], "rate"),
        "width": _typed({"width": 0}, "width", a["width"], "width"),
        "max_frames": _typed({"max_frames": 0}, "max_frames", a["max_frames"], "max_frames"),
        "loop": False,
        "qos_reliability": "reliable",
        # The pose node and the recorder (and the annotator); the recorder subscribes to `image` only
        # once the pose and action nodes are up, so no frame is published before the whole pipeline
        # can use it.
        "wait_for_subscribers": 2 + len(_annotator(a, ())),
    }
    recorder_params = {"video": video, "rate": source_params["rate"], "output": output}
    return [
        NodeLaunch("video_source", "video_source_node", f"{PACKAGE}.nodes.video_source_node", ns,
                   source_params, on_exit=DONE_IF_CLEAN),
        _pose_node(a, ()),
        _action_node(a),
        *_annotator(a, ()),
        NodeLaunch("demo_recorder", "demo_recorder", f"{PACKAGE}.launching.demo_recorder", ns,
                   recorder_params, on_exit=END, prefix_output=False),
    ]


PIPELINES: dict[str, Pipeline] = {
    p.name: p
    for p in (
        Pipeline("pipeline", "pose node + action node: images in, /actions out", pipeline_arguments,
                 pipeline_nodes),
        Pipeline("pose", "pose node only: images in, skeletons out", pose_arguments, pose_nodes),
        Pipeline("action", "action node only: skeletons in, actions out", action_arguments, action_nodes),
        Pipeline("demo", "video file -> pose -> action, with a recorder: annotated video, JSON, summary; "
                 "ends with the video", demo_arguments, demo_nodes),
    )
}


def get_pipeline(name: str) -> Pipeline:
    try:
        return PIPELINES[name]
    except KeyError:
        raise LaunchArgumentError(f"unknown pipeline {name!r}; one of: {', '.join(PIPELINES)}") from None


def environment() -> dict[str, str]:
    """Variables every node process gets; a profile the user already set is kept."""
    env = {"PYTHONUNBUFFERED": "1"}  # node output appears line by line, not at exit
    # Images exceed Fast DDS's default shared-memory segment; the profile gives it 32 MiB
    # (see config/fastdds_shm.xml and test/ros/test_pose_node_pipeline.py).
    env["FASTDDS_DEFAULT_PROFILES_FILE"] = os.environ.get(
        "FASTDDS_DEFAULT_PROFILES_FILE", _config("fastdds_shm.xml")
    )
    return env


def plan(name: str, arguments: Mapping[str, str] | None = None) -> LaunchPlan:
    """The nodes `name` starts with these `name:=value` arguments (values are strings, as in launch)."""
    pipeline = get_pipeline(name)
    declared = {a.name: a for a in pipeline.arguments()}
    given = dict(arguments or {})
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise LaunchArgumentError(
            f"{name}: unknown argument(s) {', '.join(unknown)}; arguments: {', '.join(declared)}"
        )
    values = {n: str(given.get(n, a.default)) for n, a in declared.items()}
    for n, a in declared.items():
        if a.choices and values[n] not in a.choices:
            raise LaunchArgumentError(f"argument {n}:={values[n]!r}; expected one of {', '.join(a.choices)}")
    return LaunchPlan(name, values, tuple(pipeline.nodes(values)), environment())


def parse_assignments(items: list[str]) -> dict[str, str]:
    """['image:=/cam', 'imgsz:=320'] -> {'image': '/cam', 'imgsz': '320'} (ros2 launch's syntax)."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition(":=")
        if not sep or not key:
            raise LaunchArgumentError(f"expected name:=value, got {item!r}")
        out[key] = value
    return out
