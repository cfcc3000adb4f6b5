"""ST-GCN++ (PYSKL-exact), its checkpoints, ONNX export and inference backends.

Names are imported on first use (PEP 562): `from action_recognition.model import ModelSpec` or
`OnnxRuntimeBackend` does not import torch, so an ONNX-only process (the action node) stays small;
the PyTorch names (STGCNPP, checkpoints, export) bring torch in when they are first touched.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE: dict[str, str] = {
    "EnsembleBackend": "backends",
    "InferenceBackend": "backends",
    "OnnxRuntimeBackend": "backends",
    "TorchBackend": "backends",
    "create_backend": "backends",
    "Checkpoint": "checkpoint",
    "CheckpointError": "checkpoint",
    "build_model": "checkpoint",
    "extract_state_dict": "checkpoint",
    "infer_spec": "checkpoint",
    "load_checkpoint": "checkpoint",
    "load_model_file": "checkpoint",
    "save_checkpoint": "checkpoint",
    "EnsembleError": "ensemble",
    "read_ensemble": "ensemble",
    "check_onnx_parity": "export",
    "export_onnx": "export",
    "read_onnx_spec": "export",
    "FusedSTGCNPP": "fused",
    "fuse_model": "fused",
    "ModelSpec": "spec",
    "STGCNPP": "stgcn",
}

__all__ = sorted(_WHERE)

def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
