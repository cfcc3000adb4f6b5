"""`backend: auto` picks the fastest installed pose backend for the device (no GPU needed to test)."""

from __future__ import annotations

import importlib.util

import pytest

from action_recognition.pose.backend_choice import choose_backend, cpu_vendor, is_cuda
from action_recognition.pose.estimator import PoseConfig, PoseSetupError, resolve_backend
from action_recognition.pose.export import export_path


def having(*modules: str):
    return lambda name: name in modules


@pytest.mark.parametrize("device, machine, vendor, modules, expected", [
    ("cpu", "x86_64", "GenuineIntel", ("openvino", "onnxruntime", "onnx"), "openvino"),
    ("cpu", "x86_64", "AuthenticAMD", ("openvino",), "openvino"),
    ("cpu", "x86_64", "GenuineIntel", ("onnxruntime", "onnx"), "onnx"),  # no OpenVINO installed
    ("cpu", "aarch64", "", ("openvino", "onnxruntime", "onnx"), "onnx"),  # ARM (Jetson CPU): not OpenVINO
    ("cpu", "x86_64", "HygonGenuine", ("openvino",), "pytorch"),  # only what is known to be faster
    ("cpu", "x86_64", "GenuineIntel", (), "pytorch"),
    ("cuda", "x86_64", "GenuineIntel", ("tensorrt", "openvino"), "tensorrt"),
    ("cuda:1", "aarch64", "", ("openvino",), "pytorch"),  # PyTorch on CUDA without TensorRT
    ("0", "x86_64", "AuthenticAMD", ("tensorrt",), "tensorrt"),  # Ultralytics' GPU index form
    ("mps", "arm64", "", ("onnxruntime", "onnx"), "pytorch"),
])
def test_choice_by_device_cpu_and_installed_packages(device, machine, vendor, modules, expected) -> None:
    assert choose_backend(device, machine, vendor, having(*modules)) == expected


def test_device_forms() -> None:
    assert is_cuda("cuda") and is_cuda("CUDA:0") and is_cuda("0,1") and not is_cuda("cpu")
    assert not is_cuda("mps")


def test_auto_on_this_machine_and_unknown_names() -> None:
    chosen = resolve_backend(PoseConfig(backend="auto", device="cpu"))
    x86_openvino = cpu_vendor() in ("GenuineIntel", "AuthenticAMD") and importlib.util.find_spec("openvino")
    assert chosen == ("openvino" if x86_openvino else chosen)
    assert chosen in ("pytorch", "onnx", "openvino")  # never a GPU backend on the CPU
    assert resolve_backend(PoseConfig(backend="onnx")) == "onnx"
    with pytest.raises(PoseSetupError, match=r"unknown backend 'openvno' \(one of auto, pytorch"):
        resolve_backend(PoseConfig(backend="openvno"))


def test_tensorrt_engine_is_cached_beside_the_weights(tmp_path) -> None:
    assert export_path(tmp_path / "yolo11n-pose.pt", "tensorrt", 640) == tmp_path / "yolo11n-pose_640.engine"
