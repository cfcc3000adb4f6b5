"""What a benchmark ran on: CPU, cores, load, library versions, date (for tables and JSON)."""

from __future__ import annotations

import os
import platform
import time
from importlib import metadata
from typing import Any

# name -> distributions that provide it (Ultralytics also ships as ultralytics-opencv-headless)
LIBRARIES = {
    "onnxruntime": ("onnxruntime", "onnxruntime-gpu"),
    "openvino": ("openvino",),
    "torch": ("torch",),
    "ultralytics": ("ultralytics", "ultralytics-opencv-headless"),
    "numpy": ("numpy",),
}


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def version(*dists: str) -> str | None:
    """The first installed distribution's version, without importing it (None when none is)."""
    for dist in dists:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None


def gpu_names() -> list[str]:
    """NVIDIA GPUs the driver lists (no torch import); [] without a driver."""
    try:
        with os.scandir("/proc/driver/nvidia/gpus") as entries:
            names = []
            for entry in entries:
                info = open(os.path.join(entry.path, "information")).read()  # noqa: SIM115
                names += [ln.split(":", 1)[1].strip() for ln in info.splitlines() if ln.startswith("Model")]
            return names
    except OSError:
        return []


def machine_info() -> dict[str, Any]:
    load = os.getloadavg()
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpu": cpu_name(),
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "load_1m_at_start": round(load[0], 2),
        "gpus": gpu_names(),
        "python": platform.python_version(),
        "os": platform.platform(),
        "versions": {name: version(*dists) for name, dists in LIBRARIES.items()},
    }


def load_now() -> float:
    return round(os.getloadavg()[0], 2)
