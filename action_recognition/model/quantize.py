"""INT8 export of ST-GCN++ for the CPU: ONNX Runtime dynamic quantisation of the channels-last graph.

The weights of every weight GEMM are stored as int8 (per output channel); each GEMM's input is
quantised to uint8 at run time from its own range (no calibration data), and the product is
accumulated in int32 and scaled back to float32. On CPUs with VNNI (AVX512-VNNI, AVX-VNNI) ONNX
Runtime runs these GEMMs about 3x faster than float32. The graph-to-joint aggregations, the head,
biases, ReLUs and the pooling stay float32. Accuracy against the float32 export: docs/action_node.md.

torch, onnx and onnxruntime.quantization are imported inside the functions (export time only).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from action_recognition.model.backends import PRECISION_METADATA_KEY, SPEC_METADATA_KEY
from action_recognition.model.export import INPUT_NAME, OUTPUT_NAME, PARITY_ATOL
from action_recognition.model.spec import ModelSpec

if TYPE_CHECKING:
    from action_recognition.model.stgcn import STGCNPP

# Bump when the INT8 graph changes: part of the cache key, so old exports are not reused.
INT8_FORMAT = "channels-last-dynamic-int8-v1"
# Export guard against a broken quantisation (not an accuracy claim): max |int8 - fp32| logits on the
# check inputs. Measured on the default model: about 0.1 (docs/action_node.md).
INT8_GUARD_ATOL = 1.0


def export_int8(model: STGCNPP, path: str | os.PathLike, spec: ModelSpec | None = None,
                opset: int = 17) -> Path:
    """Write `model` (eval semantics) as an INT8 ONNX file: input (N, M, T, V, C) -> logits (N, K).

    The float32 channels-last graph is checked against `model` (< 1e-4) before it is quantised, and
    the quantised one against it (INT8_GUARD_ATOL); the spec goes into the metadata as for `export_onnx`.
    """
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from action_recognition.model.channels_last import channels_last_model
    from action_recognition.model.fused import fuse_model

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    net = channels_last_model(fuse_model(model))
    frames = spec.clip_len if spec is not None else 100
    with tempfile.TemporaryDirectory(prefix="ar_int8_") as tmp:
        fp32 = Path(tmp) / "channels_last.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation/tracer notes
            torch.onnx.export(
                net, (torch.zeros(1, 1, frames, model.num_joints, model.in_channels),), str(fp32),
                input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                dynamic_axes={INPUT_NAME: {0: "batch", 1: "persons", 2: "frames"}, OUTPUT_NAME: {0: "batch"}},
                opset_version=opset, dynamo=False)
        inputs = _check_inputs(model, frames)
        reference = _torch_logits(model, inputs)
        diff = _max_diff(fp32, inputs, reference)
        if diff > PARITY_ATOL:
            raise AssertionError(f"channels-last graph differs from the model by {diff:.2e} > {PARITY_ATOL}")
        quantized = Path(tmp) / "int8.onnx"
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # the quantiser's advice to pre-process (shape inference) via logging
        try:
            quantize_dynamic(fp32, quantized, op_types_to_quantize=["MatMul"], per_channel=True,
                             weight_type=QuantType.QInt8)
        finally:
            root.setLevel(level)
        diff = _max_diff(quantized, inputs, reference)
        if diff > INT8_GUARD_ATOL:
            raise AssertionError(f"INT8 export differs from the model by {diff:.2f} > {INT8_GUARD_ATOL}")
        proto = onnx.load(str(quantized))
        del proto.metadata_props[:]
        for key, value in ((SPEC_METADATA_KEY, json.dumps(spec.to_dict()) if spec else None),
                           (PRECISION_METADATA_KEY, "int8")):
            if value is not None:
                entry = proto.metadata_props.add()
                entry.key, entry.value = key, value
        proto.producer_name = "action_recognition"
        onnx.checker.check_model(proto)
        onnx.save(proto, str(quantized))
        shutil.move(quantized, path)
    return path


def _check_inputs(model: STGCNPP, frames: int) -> list[np.ndarray]:
    """Smooth random motion in the normalised range (white noise would be an unfair test of INT8)."""
    rng = np.random.default_rng(0)
    out = []
    for n, m, t in ((1, 1, frames), (3, 2, frames + 7)):
        base = rng.uniform(-0.5, 0.5, (n, m, 1, model.num_joints, model.in_channels))
        drift = np.cumsum(rng.normal(0, 0.02, (n, m, t, model.num_joints, model.in_channels)), axis=2)
        out.append((base + drift).astype(np.float32))
    return out


def _torch_logits(model: STGCNPP, inputs: list[np.ndarray]) -> list[np.ndarray]:
    import torch

    with torch.inference_mode():
        return [model(torch.from_numpy(x)).numpy() for x in inputs]


def _max_diff(onnx_path: Path, inputs: list[np.ndarray], reference: list[np.ndarray]) -> float:
    from action_recognition.model.backends import OnnxRuntimeBackend

    backend = OnnxRuntimeBackend(onnx_path, threads=1)
    pairs = zip(inputs, reference, strict=True)
    return max(float(np.abs(backend.predict(x) - ref).max()) for x, ref in pairs)
