"""ST-GCN++ (PYSKL-exact), its checkpoints, ONNX export and inference backends."""

from action_recognition.model.backends import (
    InferenceBackend,
    OnnxRuntimeBackend,
    TorchBackend,
    create_backend,
)
from action_recognition.model.checkpoint import (
    Checkpoint,
    CheckpointError,
    build_model,
    extract_state_dict,
    infer_spec,
    load_checkpoint,
    save_checkpoint,
)
from action_recognition.model.export import check_onnx_parity, export_onnx, read_onnx_spec
from action_recognition.model.fused import FusedSTGCNPP, fuse_model
from action_recognition.model.spec import ModelSpec
from action_recognition.model.stgcn import STGCNPP

__all__ = [
    "STGCNPP",
    "Checkpoint",
    "CheckpointError",
    "FusedSTGCNPP",
    "InferenceBackend",
    "ModelSpec",
    "OnnxRuntimeBackend",
    "TorchBackend",
    "build_model",
    "check_onnx_parity",
    "create_backend",
    "export_onnx",
    "extract_state_dict",
    "fuse_model",
    "infer_spec",
    "load_checkpoint",
    "read_onnx_spec",
    "save_checkpoint",
]
