"""Node parameters declared in one table per node; the nodes, config YAMLs and launch files read them here.

    values = declare(node, POSE_NODE_PARAMS)      # declares every entry, returns {name: value}
    defaults(POSE_NODE_PARAMS)                    # {name: default}, e.g. for a launch file
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Param:
    name: str
    default: bool | int | float | str
    description: str
    choices: tuple[str, ...] = ()


QOS_RELIABILITY = ("best_effort", "reliable")

POSE_NODE_PARAMS: tuple[Param, ...] = (
    Param("model", "", "pose weights (.pt), ONNX file or OpenVINO folder; empty = installed yolo11n-pose"),
    Param(
        "backend", "pytorch", "pytorch, or onnx/openvino: use the local export of a .pt (made once, "
        "cached beside it as <stem>_<imgsz>.onnx / <stem>_<imgsz>_openvino_model)",
        ("pytorch", "onnx", "openvino"),
    ),
    Param("layout", "coco", "skeleton layout of the output; needs as many joints as the model's keypoints"),
    Param("device", "cpu", "inference device: cpu, cuda, cuda:N, N or mps"),
    Param("imgsz", 640, "inference image size (320 is ~3x faster on a CPU, finds fewer small people)"),
    Param("conf", 0.25, "minimum detection confidence"),
    Param("iou", 0.7, "NMS IoU threshold"),
    Param("max_det", 20, "maximum people per image"),
    Param("tracker", "bytetrack.yaml", "Ultralytics tracker: bytetrack.yaml, botsort.yaml or a yaml path"),
    Param("half", False, "FP16 inference (GPU only; ignored on the CPU)"),
    Param("threads", 0, "torch CPU threads; 0 = torch's default"),
    Param("compressed", False, "subscribe to CompressedImage on 'image/compressed' instead of 'image'"),
    Param("qos_reliability", "best_effort", "input QoS reliability; best_effort matches every camera driver",
          QOS_RELIABILITY),
    Param("qos_depth", 5, "input QoS history depth"),
    Param("publish_debug_image", False, "publish 'debug_image' (bgr8): skeletons, boxes, track ids"),
    Param("diagnostics_period", 1.0, "seconds between diagnostics on /diagnostics"),
)

VIDEO_SOURCE_PARAMS: tuple[Param, ...] = (
    Param("source", "", "video file, or a camera index such as '0'; empty = the installed demo video"),
    Param("loop", False, "restart the file at its end instead of stopping"),
    Param("rate", 0.0, "frames per second to publish; 0 = the file's own frame rate"),
    Param("frame_id", "camera", "header.frame_id of the published images"),
    Param("encoding", "bgr8", "published encoding", ("bgr8", "rgb8", "mono8", "bgra8", "rgba8")),
    Param("width", 0, "resize to this width keeping the aspect ratio; 0 = original size"),
    Param("qos_reliability", "reliable", "output QoS reliability", QOS_RELIABILITY),
    Param("qos_depth", 5, "output QoS history depth"),
    Param("wait_for_subscribers", 0, "hold the first frame until this many subscribers are matched"),
    Param("max_frames", 0, "stop after this many frames; 0 = no limit"),
)


def defaults(table: Sequence[Param]) -> dict[str, Any]:
    return {p.name: p.default for p in table}


def _coerce(p: Param, value: Any) -> Any:
    """`-p conf:=1` arrives as an int: cast to the default's type, refuse what does not fit."""
    kind = type(p.default)
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise ValueError(f"parameter {p.name!r} must be true or false, got {value!r}")
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is str and not isinstance(value, str):
        return str(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"parameter {p.name!r} must be a {kind.__name__}, got {value!r}")
    return value


def declare(node: Any, table: Sequence[Param]) -> dict[str, Any]:
    """Declare every parameter of `table` on an rclpy node and return their checked values."""
    from rcl_interfaces.msg import ParameterDescriptor

    values: dict[str, Any] = {}
    for p in table:
        desc = p.description + (f" (one of: {', '.join(p.choices)})" if p.choices else "")
        node.declare_parameter(p.name, p.default, ParameterDescriptor(description=desc, dynamic_typing=True))
        value = _coerce(p, node.get_parameter(p.name).value)
        if p.choices and value not in p.choices:
            raise ValueError(f"parameter {p.name!r} = {value!r}; expected one of {', '.join(p.choices)}")
        values[p.name] = value
    return values


def qos_profile(reliability: str, depth: int) -> Any:
    """A keep-last QoSProfile from the `qos_reliability` / `qos_depth` parameter values."""
    from rclpy.qos import QoSProfile, ReliabilityPolicy

    policy = ReliabilityPolicy.RELIABLE if reliability == "reliable" else ReliabilityPolicy.BEST_EFFORT
    return QoSProfile(depth=depth, reliability=policy)
