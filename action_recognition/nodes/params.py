"""Node parameters declared in one table per node; the nodes, config YAMLs and launch files read them here.

    values = declare(node, POSE_NODE_PARAMS)      # declares every entry, returns {name: value}
    defaults(POSE_NODE_PARAMS)                    # {name: default}, e.g. for a launch file
    check_config(POSE_NODE_PARAMS, values, "config/pose.yaml")   # a parameter file's values, checked

A parameter is read-only (set at start) unless `dynamic`: those change at run time with
`ros2 param set`, and the node applies them at once. `low`/`high` are inclusive bounds, declared as
ROS ranges. This module imports no ROS at module level: launch files use it through `description`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Param:
    name: str
    default: bool | int | float | str
    description: str
    choices: tuple[str, ...] = ()
    dynamic: bool = False  # changeable at run time; otherwise read-only
    low: float | None = None
    high: float | None = None


QOS_RELIABILITY = ("best_effort", "reliable")  # an output, or an input without "auto"
# Inputs: "auto" follows the discovered publishers (nodes/qos.py: InputSubscription).
INPUT_RELIABILITY = ("auto", "best_effort", "reliable")
_AUTO_QOS = ("input QoS reliability; auto = follow the publishers (reliable when all are reliable, "
             "else best_effort)")

POSE_NODE_PARAMS: tuple[Param, ...] = (
    Param("model", "", "pose weights (.pt), ONNX file or OpenVINO folder; empty = installed yolo11n-pose"),
    Param(
        "backend", "pytorch", "pytorch, or onnx/openvino/tensorrt: use the local export of a .pt (made once, "
        "cached beside it as <stem>_<imgsz>.onnx / _openvino_model / .engine); auto = the fastest installed "
        "(openvino on x86 CPUs, tensorrt or pytorch on CUDA)",
        ("auto", "pytorch", "onnx", "openvino", "tensorrt"),
    ),
    Param("layout", "coco", "skeleton layout of the output; needs as many joints as the model's keypoints"),
    Param("device", "cpu", "inference device: cpu, cuda, cuda:N, N or mps"),
    Param("imgsz", 640, "inference image size (320 is ~3x faster on a CPU, finds fewer small people)",
          low=32, high=4096),
    Param("conf", 0.25, "minimum detection confidence", dynamic=True, low=0.0, high=1.0),
    Param("iou", 0.7, "NMS IoU threshold", dynamic=True, low=0.0, high=1.0),
    Param("max_det", 20, "maximum people per image", dynamic=True, low=1, high=1000),
    Param("tracker", "bytetrack_robust.yaml", "tracker YAML: a name in config/trackers (bytetrack_robust.yaml"
          " keeps ids through missed frames), Ultralytics' bytetrack.yaml / botsort.yaml, or a path"),
    Param("half", False, "FP16 inference (GPU only; ignored on the CPU)"),
    Param("threads", 0, "torch CPU threads; 0 = torch's default", low=0, high=256),
    Param("compressed", False, "subscribe to CompressedImage on 'image/compressed' instead of 'image'"),
    Param("qos_reliability", "auto", _AUTO_QOS, INPUT_RELIABILITY),
    Param("qos_depth", 5, "input QoS history depth", low=1, high=1000),
    Param("publish_debug_image", False, "publish 'debug_image' (bgr8): skeletons, boxes, track ids",
          dynamic=True),
    Param("diagnostics_period", 1.0, "seconds between diagnostics on /diagnostics", dynamic=True,
          low=0.1, high=3600.0),
)

ACTION_NODE_PARAMS: tuple[Param, ...] = (
    Param(
        "model", "", "action model: our .pth, a PYSKL .pth (with 'labels'), .onnx, an ensemble .yaml, or a "
        "shipped model's name (stgcnpp_coco_real, stgcnpp_coco_real_x3, stgcnpp_coco_synth); empty = "
        "shipped default (stgcnpp_coco_real)"
    ),
    Param("labels", "", "label file (one class per line, or a YAML list); empty = the names in the model"),
    Param("layout", "", "skeleton layout of a PYSKL checkpoint; empty = the model's (or inferred)"),
    Param("device", "cpu", "inference device for PyTorch models: cpu, cuda, cuda:N"),
    Param(
        "backend",
        "auto",
        "for a .pth: torch, or onnxruntime (exported once, parity-checked); "
        "auto = onnxruntime on the CPU (~2x faster), torch on a GPU",
        ("auto", "torch", "onnxruntime"),
    ),
    Param("threads", 1, "CPU threads for inference; 0 = the library default", low=0, high=256),
    Param("precision", "fp32", "fp32, or int8 = the checkpoint's INT8 export for ONNX Runtime on the CPU "
          "(made once, cached; about 2x faster with VNNI, accuracy in docs/action_node.md)",
          ("fp32", "int8")),
    Param("inference_workers", 1, "ONNX Runtime sessions a round's batch is split across, one thread each, "
          "for a node given several cores (e.g. 2 sustain twice the tracks); 1 = one", low=1, high=64),
    Param("window_s", 0.0, "seconds kept per track (streams resampled to the model's fps); 0 = the model's "
          "window (default model: 3 s); reads the effective value once configured", low=0.0, high=3600.0),
    Param("min_window_s", 0.0, "seconds a track needs before its first label; 0 = half the window; reads "
          "the effective value once configured", dynamic=True, low=0.0, high=3600.0),
    Param("stride_s", 0.167, "seconds of new frames of a track between two of its inferences (period 0); "
          "0 = every new frame", dynamic=True, low=0.0, high=3600.0),
    Param("period", 0.0, "seconds between inference rounds over all tracks with new frames; 0 = use stride",
          dynamic=True, low=0.0, high=3600.0),
    Param("spread_rounds", True, "stride mode: each round takes about tracks/stride due tracks, so tracks "
          "keep different phases and latency stays flat as people are added; false = all due at once"),
    Param("spread_timer", True, "spread rounds: due tracks a round left waiting go on their own after one "
          "model frame without input (wall clock); false = they wait for the next frame, so the labels "
          "depend on the input alone, not on timing (replays: bag eval)"),
    Param("persons_per_sample", 1, "1, or 2 = each track with its nearest other person (interactions)",
          low=1, high=2),
    Param("smoothing", 0.0, "weight of the previous probabilities in a moving average; 0 = off",
          dynamic=True, low=0.0, high=0.99),
    Param("score_threshold", 0.0, "top probability below which the label is 'unknown' (class_id -1)",
          dynamic=True, low=0.0, high=1.0),
    Param("track_timeout", 2.0, "seconds (message stamps) after which an unseen track is dropped",
          low=0.001, high=3600.0),
    Param("max_tracks", 50, "tracks kept at most; the least recently seen is evicted", low=1, high=100000),
    Param("max_batch", 32, "tracks per forward pass at most", dynamic=True, low=1, high=4096),
    Param("qos_reliability", "auto", _AUTO_QOS, INPUT_RELIABILITY),
    Param("qos_depth", 10, "input QoS history depth", low=1, high=1000),
    Param("diagnostics_period", 1.0, "seconds between diagnostics on /diagnostics", dynamic=True,
          low=0.1, high=3600.0),
)

VIDEO_SOURCE_PARAMS: tuple[Param, ...] = (
    Param("source", "", "video file, or a camera index such as '0'; empty = the installed demo video"),
    Param("loop", False, "restart the file at its end instead of stopping"),
    Param("rate", 0.0, "frames per second to publish; 0 = the file's own frame rate", low=0.0, high=10000.0),
    Param("frame_id", "camera", "header.frame_id of the published images"),
    Param("encoding", "bgr8", "published encoding", ("bgr8", "rgb8", "mono8", "bgra8", "rgba8")),
    Param("width", 0, "resize to this width keeping the aspect ratio; 0 = original size", low=0, high=65535),
    Param("qos_reliability", "reliable", "output QoS reliability", QOS_RELIABILITY),
    Param("qos_depth", 5, "output QoS history depth", low=1, high=1000),
    Param("wait_for_subscribers", 0, "hold the first frame until this many subscribers are matched",
          low=0, high=1000),
    Param("max_frames", 0, "stop after this many frames; 0 = no limit", low=0, high=2**62),
)

# Every managed (lifecycle) node has it; not in the config files, whose values it would override.
AUTOSTART = Param("autostart", True, "configure and activate at start (false: wait for `ros2 lifecycle set`)")

# The parameter tables by node name, for checking parameter files (`/**/<node name>:` sections).
NODE_TABLES: dict[str, tuple[Param, ...]] = {
    "pose_node": POSE_NODE_PARAMS,
    "action_node": ACTION_NODE_PARAMS,
    "video_source": VIDEO_SOURCE_PARAMS,
}


def defaults(table: Sequence[Param]) -> dict[str, Any]:
    return {p.name: p.default for p in table}


_TRUE, _FALSE = ("true", "yes", "on"), ("false", "no", "off")


def _coerce(p: Param, value: Any) -> Any:
    """`-p conf:=1` arrives as an int: cast to the default's type, refuse what does not fit."""
    kind = type(p.default)
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:  # 'True' from a launch arg
            return value.strip().lower() in _TRUE
        raise ValueError(f"parameter {p.name!r} must be true or false, got {value!r}")
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is str and not isinstance(value, str):
        return str(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"parameter {p.name!r} must be a {kind.__name__}, got {value!r}")
    return value


def check(p: Param, value: Any) -> Any:
    """The value converted to the parameter's type; ValueError naming the parameter and the valid values."""
    value = _coerce(p, value)
    if p.choices and value not in p.choices:
        raise ValueError(f"parameter {p.name!r} = {value!r}; expected one of {', '.join(p.choices)}")
    if p.low is not None and p.high is not None and not p.low <= value <= p.high:
        raise ValueError(f"parameter {p.name!r} = {value!r} is outside [{_num(p.low)}, {_num(p.high)}]")
    return value


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def did_you_mean(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# Parameters every node of the package takes besides its table (allowed in its parameter file).
USE_SIM_TIME = Param("use_sim_time", False, "use /clock (a bag or a simulator) instead of the system clock")


def check_config(table: Sequence[Param], values: Mapping[str, Any], source: str) -> dict[str, Any]:
    """A parameter file's values for one node, checked: unknown keys named (with 'did you mean'), types
    and ranges checked, missing keys filled with the defaults (a partial file is fine)."""
    by_name = {p.name: p for p in (*table, USE_SIM_TIME, AUTOSTART)}
    out = defaults(table)
    for key, value in values.items():
        p = by_name.get(key)
        if p is None:
            raise ValueError(f"{source}: unknown parameter {key!r}{did_you_mean(key, list(by_name))}; "
                             f"known: {', '.join(by_name)}")
        try:
            out[key] = check(p, value)
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from None
    return out


def descriptor(p: Param) -> Any:
    """The ROS ParameterDescriptor of `p`: description, read-only unless dynamic, range."""
    from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor

    text = p.description + (f" (one of: {', '.join(p.choices)})" if p.choices else "")
    text += "" if p.dynamic else " [read-only: set at start]"
    # Typing stays dynamic so `-p conf:=1` (an int) is accepted and converted by `check`.
    d = ParameterDescriptor(description=text, read_only=not p.dynamic, dynamic_typing=True)
    if p.low is not None and p.high is not None:
        if isinstance(p.default, float):
            d.floating_point_range = [FloatingPointRange(from_value=float(p.low), to_value=float(p.high))]
        elif isinstance(p.default, int) and not isinstance(p.default, bool):
            d.integer_range = [IntegerRange(from_value=int(p.low), to_value=int(p.high), step=0)]
    return d


def declare(node: Any, table: Sequence[Param]) -> dict[str, Any]:
    """Declare every parameter of `table` on an rclpy node and return their checked values."""
    from rclpy.exceptions import InvalidParameterValueException

    values: dict[str, Any] = {}
    for p in table:
        try:
            node.declare_parameter(p.name, p.default, descriptor(p))
        except InvalidParameterValueException as exc:  # rclpy's range check of the given value
            given = getattr(node, "_parameter_overrides", {}).get(p.name)
            if given is not None:
                check(p, given.value)  # our own message: name, value, valid range
            raise ValueError(f"parameter {p.name!r}: {exc}") from None
        values[p.name] = check(p, node.get_parameter(p.name).value)
    return values


def unknown_overrides(node: Any) -> list[str]:
    """Parameters given to the node (-p, --params-file) that it does not declare: typos, mostly."""
    overrides = getattr(node, "_parameter_overrides", {})  # rclpy keeps them per node; no public getter
    return sorted(n for n in overrides if not node.has_parameter(n) and not n.startswith("qos_overrides."))


def qos_profile(reliability: str, depth: int) -> Any:
    """A keep-last QoSProfile from the `qos_reliability` / `qos_depth` parameter values."""
    from rclpy.qos import QoSProfile, ReliabilityPolicy

    policy = ReliabilityPolicy.RELIABLE if reliability == "reliable" else ReliabilityPolicy.BEST_EFFORT
    return QoSProfile(depth=depth, reliability=policy)
