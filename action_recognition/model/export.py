"""ONNX export of ST-GCN++ (dynamic batch, person and frame axes) and its parity check.

torch and onnx are imported inside the functions: importing this module (for `read_onnx_spec`, say)
costs neither.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from action_recognition.model.backends import SPEC_METADATA_KEY, spec_from_metadata
from action_recognition.model.spec import ModelSpec

if TYPE_CHECKING:
    from action_recognition.model.stgcn import STGCNPP

INPUT_NAME = "keypoint"
OUTPUT_NAME = "logits"
PARITY_ATOL = 1e-4


def export_onnx(model: STGCNPP, path: str | os.PathLike, spec: ModelSpec | None = None, fused: bool = True,
                opset: int = 17, example_frames: int = 100) -> Path:
    """Write `model` (eval semantics) as ONNX: input (N, M, T, V, C) float32 -> logits (N, K).

    `fused` exports the BN-folded inference graph (same outputs, fewer nodes). The spec, when
    given, is stored as JSON in the model's metadata so the .onnx file alone is enough.
    """
    import onnx
    import torch

    from action_recognition.model.fused import fuse_model

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    net = fuse_model(model) if fused else model
    example = torch.zeros(1, 2, example_frames, model.num_joints, model.in_channels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation/tracer notes
        torch.onnx.export(
            net, (example,), str(path), input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {0: "batch", 1: "persons", 2: "frames"}, OUTPUT_NAME: {0: "batch"}},
            opset_version=opset, dynamo=False)
    proto = onnx.load(str(path))
    if spec is not None:
        entry = proto.metadata_props.add()
        entry.key, entry.value = SPEC_METADATA_KEY, json.dumps(spec.to_dict())
    proto.producer_name = "action_recognition"
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))
    return path


def read_onnx_spec(path: str | os.PathLike) -> ModelSpec | None:
    """The ModelSpec stored in an exported file's metadata, if any."""
    import onnx

    proto = onnx.load(os.fspath(path), load_external_data=False)
    return spec_from_metadata({entry.key: entry.value for entry in proto.metadata_props})


def check_onnx_parity(model: STGCNPP, onnx_path: str | os.PathLike,
                      shapes: Sequence[tuple[int, int, int]] = ((1, 1, 100), (3, 2, 57)),
                      atol: float = PARITY_ATOL, seed: int = 0) -> float:
    """Max |PyTorch - ONNX Runtime| logits over random inputs of the (N, M, T) `shapes`.

    Raises AssertionError above `atol`; the varied shapes also prove the dynamic axes work.
    """
    import torch

    from action_recognition.model.backends import OnnxRuntimeBackend

    backend = OnnxRuntimeBackend(onnx_path)
    rng = np.random.default_rng(seed)
    worst = 0.0
    model = model.eval()
    for n, m, t in shapes:
        x = rng.standard_normal((n, m, t, model.num_joints, model.in_channels)).astype(np.float32)
        with torch.inference_mode():
            expected = model(torch.from_numpy(x)).numpy()
        got = backend.predict(x)
        worst = max(worst, float(np.abs(expected - got).max()))
    if worst >= atol:
        raise AssertionError(f"ONNX parity failed: max abs difference {worst:.3g} >= {atol}")
    return worst
