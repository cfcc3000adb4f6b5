"""Inference backends behind one interface: predict((N, M, T, V, C) float32) -> logits (N, K).

`create_backend(path)` picks by suffix: .pth/.pt -> PyTorch (fused inference graph), .onnx ->
ONNX Runtime. Both read the ModelSpec from the file (checkpoint meta / ONNX metadata).

torch is imported only by TorchBackend: a process serving an ONNX model never loads it (about 500 MB
of resident memory saved).
"""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from action_recognition.model.ensemble import mean_probability_logits
from action_recognition.model.spec import ModelSpec

if TYPE_CHECKING:
    import torch

    from action_recognition.model.stgcn import STGCNPP

TORCH_SUFFIXES = (".pth", ".pt")
ONNX_SUFFIXES = (".onnx",)


class InferenceBackend(ABC):
    """predict(x (N, M, T, V, C) float32) -> logits (N, K) float32; `spec` describes the inputs."""

    spec: ModelSpec | None = None
    num_joints: int
    in_channels: int

    @abstractmethod
    def predict(self, x: np.ndarray) -> np.ndarray:
        """Logits for a batch of N clips of M persons and T frames."""

    def _check_input(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.ndim != 5 or x.shape[3] != self.num_joints or x.shape[4] != self.in_channels:
            raise ValueError(
                f"input must be (N, M, T, {self.num_joints}, {self.in_channels}) float32, got {x.shape}")
        return x


class TorchBackend(InferenceBackend):
    """PyTorch on any device. `threads` sets torch's intra-op threads (process-wide in PyTorch)."""

    def __init__(self, model: STGCNPP, spec: ModelSpec | None = None, device: str | torch.device = "cpu",
                 threads: int | None = None, fused: bool = True) -> None:
        import torch

        from action_recognition.model.fused import fuse_model

        if threads is not None:
            torch.set_num_threads(int(threads))
        self._torch = torch
        self.spec = spec
        self.device = torch.device(device)
        self.num_joints, self.in_channels = model.num_joints, model.in_channels
        model = model.eval()
        self.net = (fuse_model(model) if fused else model).to(self.device).eval()

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, device: str | torch.device = "cpu",
                        threads: int | None = None, fused: bool = True, **load_kwargs) -> TorchBackend:
        from action_recognition.model.checkpoint import load_checkpoint

        ckpt = load_checkpoint(path, **load_kwargs)
        return cls(ckpt.model, ckpt.spec, device=device, threads=threads, fused=fused)

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        with self._torch.inference_mode():
            return self.net(self._torch.from_numpy(x).to(self.device)).float().cpu().numpy()


class OnnxRuntimeBackend(InferenceBackend):
    """ONNX Runtime (CPU unless `providers` say otherwise), full graph optimisation.

    workers > 1: a batch is split into that many parts, run at once by as many sessions (one per
    thread; ONNX Runtime releases the GIL while it runs), for a process given several cores. Unlike more
    intra-op threads, the parts never wait on each other inside the graph's many small operators.
    """

    def __init__(self, path: str | os.PathLike, threads: int | None = None,
                 providers: list[str] | None = None, workers: int = 1) -> None:
        import onnxruntime as ort

        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads is not None:
            options.intra_op_num_threads = int(threads)
            options.inter_op_num_threads = 1
        providers = providers or ["CPUExecutionProvider"]
        sessions = [ort.InferenceSession(os.fspath(path), options, providers=providers)
                    for _ in range(workers)]
        self.session, self._helpers = sessions[0], sessions[1:]
        self.workers = workers
        self._pool = ThreadPoolExecutor(workers - 1, thread_name_prefix="ort_worker") if workers > 1 else None
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        self.num_joints, self.in_channels = int(inp.shape[3]), int(inp.shape[4])
        metadata = self.session.get_modelmeta().custom_metadata_map
        self.spec = spec_from_metadata(metadata)
        self.precision = metadata.get(PRECISION_METADATA_KEY, "fp32")  # "int8": model/quantize.py

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        if self._pool is None or len(x) < 2:
            return self.session.run(None, {self.input_name: x})[0]
        first, *rest = np.array_split(x, min(self.workers, len(x)))  # this thread runs the first part
        futures = [self._pool.submit(s.run, None, {self.input_name: part})
                   for s, part in zip(self._helpers, rest, strict=False)]
        head = self.session.run(None, {self.input_name: first})[0]
        return np.concatenate([head, *(f.result()[0] for f in futures)])


class EnsembleBackend(InferenceBackend):
    """Several backends of one input spec (`model/ensemble.py`): predict gives the log of the mean of
    their softmax probabilities, so a softmax downstream yields the averaged probabilities. The
    members run one after another on the same batch (each with its own threads or workers)."""

    def __init__(self, members: list[InferenceBackend], spec: ModelSpec | None = None) -> None:
        if not members:
            raise ValueError("an ensemble needs at least one member backend")
        shapes = {(m.num_joints, m.in_channels) for m in members}
        if len(shapes) != 1:
            raise ValueError(f"ensemble members take different inputs (joints, channels): {sorted(shapes)}")
        self.members = list(members)
        self.num_joints, self.in_channels = shapes.pop()
        self.spec = spec if spec is not None else members[0].spec
        self.precision = getattr(members[0], "precision", "fp32")
        self.workers = getattr(members[0], "workers", 1)

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        return mean_probability_logits([m.predict(x) for m in self.members])


def backend_name(backend: InferenceBackend) -> str:
    """For logs: the class name, and an ensemble's member count and kind ("EnsembleBackend of 3 x ...")."""
    if isinstance(backend, EnsembleBackend):
        return f"{type(backend).__name__} of {len(backend.members)} x {type(backend.members[0]).__name__}"
    return type(backend).__name__


SPEC_METADATA_KEY = "model_spec"  # ONNX metadata entry holding the ModelSpec as JSON
PRECISION_METADATA_KEY = "precision"  # "int8" in an INT8 export; absent = float32


def spec_from_metadata(metadata: dict[str, str]) -> ModelSpec | None:
    """The ModelSpec stored in an exported model's metadata (read without the onnx package or torch)."""
    text = metadata.get(SPEC_METADATA_KEY)
    return ModelSpec.from_dict(json.loads(text)) if text else None


def create_backend(path: str | os.PathLike, device: str = "cpu", threads: int | None = None,
                   **kwargs) -> InferenceBackend:
    """Backend for a model file by its suffix: .pth/.pt -> TorchBackend, .onnx -> OnnxRuntimeBackend."""
    suffix = Path(path).suffix.lower()
    if suffix in TORCH_SUFFIXES:
        return TorchBackend.from_checkpoint(path, device=device, threads=threads, **kwargs)
    if suffix in ONNX_SUFFIXES:
        return OnnxRuntimeBackend(path, threads=threads, **kwargs)
    raise ValueError(
        f"{path}: unknown model file type {suffix!r}; use .pth/.pt (PyTorch) or .onnx (ONNX Runtime)")
