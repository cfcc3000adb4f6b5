"""package.xml declares every ROS package and rosdep key the Python code imports (rosdep installs from it)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from catkin_pkg.package import parse_package

ROOT = Path(__file__).resolve().parents[1]

# Top-level import -> the package.xml dependency that provides it.
DECLARED_AS = {
    "rclpy": "rclpy",
    "sensor_msgs": "sensor_msgs",
    "std_msgs": "std_msgs",
    "builtin_interfaces": "builtin_interfaces",
    "diagnostic_msgs": "diagnostic_msgs",
    "rcl_interfaces": "rcl_interfaces",
    "std_srvs": "std_srvs",
    "lifecycle_msgs": "lifecycle_msgs",
    "launch": "launch",
    "launch_ros": "launch_ros",
    "ament_index_python": "ament_index_python",
    "numpy": "python3-numpy",
    "yaml": "python3-yaml",
    "cv2": "python3-opencv",
    "matplotlib": "python3-matplotlib",
    "tqdm": "python3-tqdm",
    "torch": "python3-torchvision-pip",  # torchvision's pip key brings the matching torch
    "ultralytics": "python3-ultralytics-pip",
    "onnxruntime": "python3-onnxruntime-pip",
}
# No rosdep key exists: requirements/base.txt (pip) provides them; package.xml says so in a comment.
PIP_ONLY = {"rosbags", "lap", "openvino", "onnx", "onnxslim", "catkin_pkg", "cv_bridge"}


def _imported_top_levels() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "action_recognition").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def test_every_third_party_import_is_declared() -> None:
    package = parse_package(str(ROOT / "package.xml"))
    declared = {d.name for d in package.build_depends + package.exec_depends + package.build_export_depends}
    third_party = _imported_top_levels() - set(sys.stdlib_module_names) - {"action_recognition"}
    unknown = sorted(third_party - set(DECLARED_AS) - PIP_ONLY)
    assert not unknown, f"imports with no package.xml mapping in this test: {unknown}"
    missing = sorted({DECLARED_AS[m] for m in third_party & set(DECLARED_AS)} - declared)
    assert not missing, f"package.xml lacks: {missing}"


def test_test_and_build_tool_dependencies() -> None:
    package = parse_package(str(ROOT / "package.xml"))
    assert "python3-pytest" in {d.name for d in package.test_depends}
    tools = {d.name for d in package.buildtool_depends}
    assert {"ament_cmake", "ament_cmake_python", "rosidl_default_generators"} <= tools
