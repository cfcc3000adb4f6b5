"""`backend: auto`: the fastest pose backend installed for the device, decided without importing any.

Measured (docs/pose.md, `action-recognition bench`): on x86 CPUs OpenVINO runs yolo11n-pose about 2x
faster than PyTorch, ONNX Runtime in between; on an NVIDIA GPU a TensorRT engine beats PyTorch on CUDA.
"""

from __future__ import annotations

import importlib.util
import platform
from collections.abc import Callable

X86 = ("x86_64", "amd64", "i686", "i386")


def cpu_vendor() -> str:
    """'GenuineIntel', 'AuthenticAMD', ... from /proc/cpuinfo; '' when unknown (not Linux, ARM)."""
    try:
        with open("/proc/cpuinfo") as f:
            return next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("vendor_id")), "")
    except OSError:
        return ""


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def is_cuda(device: str) -> bool:
    """cuda, cuda:N or a bare GPU index list ('0', '0,1') as Ultralytics takes them."""
    device = str(device).strip().lower()
    return device.startswith("cuda") or device.replace(",", "").isdigit()


def choose_backend(device: str, machine: str | None = None, vendor: str | None = None,
                   has: Callable[[str], bool] = installed) -> str:
    """The backend `auto` means on `device`: pytorch, onnx, openvino or tensorrt."""
    if is_cuda(device):
        return "tensorrt" if has("tensorrt") else "pytorch"  # PyTorch on CUDA
    if str(device).strip().lower() == "mps":
        return "pytorch"
    machine = (machine if machine is not None else platform.machine()).lower()
    vendor = vendor if vendor is not None else cpu_vendor()
    if machine in X86 and vendor in ("GenuineIntel", "AuthenticAMD") and has("openvino"):
        return "openvino"
    if has("onnxruntime") and has("onnx"):
        return "onnx"
    return "pytorch"
