"""Local export of the pose weights to ONNX / OpenVINO, cached beside the .pt (never downloaded).

    python -m action_recognition.pose.export --format openvino --imgsz 320

Exports are static-shape, so the cache name carries the image size: `yolo11n-pose_320.onnx`,
`yolo11n-pose_320_openvino_model/`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from action_recognition.pose import ultralytics_env

BACKENDS = ("pytorch", "onnx", "openvino", "tensorrt")
_FORMATS = {"onnx": "onnx", "openvino": "openvino", "tensorrt": "engine"}  # Ultralytics' export names


def export_path(weights: Path, backend: str, imgsz: int) -> Path:
    """Where the cached export of `weights` for `backend` at `imgsz` lives (may not exist yet)."""
    weights = Path(weights)
    if backend == "pytorch":
        return weights
    if backend == "onnx":
        return weights.with_name(f"{weights.stem}_{imgsz}.onnx")
    if backend == "openvino":
        return weights.with_name(f"{weights.stem}_{imgsz}_openvino_model")
    if backend == "tensorrt":  # built for the GPU it runs on; not portable between GPUs
        return weights.with_name(f"{weights.stem}_{imgsz}.engine")
    raise ValueError(f"unknown backend {backend!r} (one of {', '.join(BACKENDS)})")


def export(weights: Path, backend: str, imgsz: int, device: str | None = None) -> Path:
    """Export `weights` (a .pt) for `backend` at `imgsz` unless cached; return the exported path.

    device: where a TensorRT engine is built (a CUDA device; default the first GPU).
    """
    target = export_path(weights, backend, imgsz)
    if target.exists():
        return target
    if not Path(weights).is_file():
        raise FileNotFoundError(f"pose weights not found: {weights}")
    ultralytics_env.prepare()
    from ultralytics import YOLO

    extra = {"device": device if device not in (None, "", "cpu") else 0} if backend == "tensorrt" else {}
    produced = Path(YOLO(str(weights), task="pose").export(format=_FORMATS[backend], imgsz=imgsz, **extra))
    shutil.move(str(produced), str(target))  # Ultralytics names it after the .pt, without the size
    return target


def main(argv: list[str] | None = None) -> int:
    from action_recognition.paths import default_pose_weights

    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=fmt)
    parser.add_argument("--weights", type=Path, default=default_pose_weights())
    parser.add_argument("--format", choices=BACKENDS[1:], required=True)
    parser.add_argument("--imgsz", type=int, default=320)
    args = parser.parse_args(argv)
    print(export(args.weights, args.format, args.imgsz))
    return 0


if __name__ == "__main__":
    sys.exit(main())
