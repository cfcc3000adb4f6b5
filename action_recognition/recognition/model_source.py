"""Load the action model a user names: our checkpoint, a PYSKL checkpoint plus a label file, or ONNX.

An ONNX model, or a .pth whose ONNX export is already cached, loads without importing torch (the
cache key is the checkpoint's bytes, the spec travels in the export's metadata): the action node then
needs about 500 MB less memory. torch is imported only to read a .pth without a cached export, or to
run PyTorch (backend torch, a GPU).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from action_recognition import paths
from action_recognition.model.backends import (
    EnsembleBackend,
    InferenceBackend,
    OnnxRuntimeBackend,
    spec_from_metadata,
)
from action_recognition.model.ensemble import (
    ENSEMBLE_FILE,
    EnsembleError,
    check_same_input,
    is_ensemble_file,
    read_ensemble,
)
from action_recognition.model.spec import ModelSpec

BACKENDS = ("auto", "torch", "onnxruntime")
PRECISIONS = ("fp32", "int8")


class ModelSourceError(ValueError):
    """The model cannot be used as given; the message names the file and the fix."""


@dataclass
class ActionModel:
    backend: InferenceBackend
    spec: ModelSpec
    labels: list[str]
    path: Path

    @property
    def name(self) -> str:
        """A model folder's name for its model.pth or ensemble.yaml, else the file's stem."""
        return self.path.parent.name if self.path.name in ("model.pth", ENSEMBLE_FILE) else self.path.stem


def read_labels(path: str | os.PathLike) -> list[str]:
    """Class names from a text file (one per line, PYSKL's label_map format) or a YAML list."""
    path = Path(path)
    if not path.is_file():
        raise ModelSourceError(f"label file {path} does not exist")
    if path.suffix.lower() in (".yaml", ".yml"):
        data = yaml.safe_load(path.read_text())
        data = data.get("labels", data) if isinstance(data, dict) else data
        if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
            raise ModelSourceError(f"{path}: expected a YAML list of class names (or a 'labels:' list)")
        return data
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def load_action_model(
    model: str | os.PathLike | None = None,
    labels: str | os.PathLike | None = None,
    layout: str | None = None,
    device: str = "cpu",
    threads: int | None = None,
    backend: str = "auto",
    precision: str = "fp32",
    workers: int = 1,
) -> ActionModel:
    """Backend + spec + class names for `model` (None or "" = the shipped default model).

    labels: a label file; required when the checkpoint carries no class names (PYSKL's files).
    layout: the skeleton layout for a PYSKL checkpoint (inferred from the joint count otherwise).
    backend: for a .pth, "torch" or "onnxruntime" (exported once into the cache folder after a parity
        check); "auto" = ONNX Runtime on the CPU (about 2x faster there), PyTorch on a GPU.
    precision: "fp32", or "int8" = the checkpoint's INT8 export (model/quantize.py; ONNX Runtime on
        the CPU, a .pth only), made once into the cache folder like the float32 one.
    workers: ONNX Runtime sessions a batch is split across, one thread each (for a process given
        several cores); PyTorch takes 1 only.
    """
    if backend not in BACKENDS:
        raise ModelSourceError(f"backend {backend!r}: use one of {', '.join(BACKENDS)}")
    if precision not in PRECISIONS:
        raise ModelSourceError(f"precision {precision!r}: use one of {', '.join(PRECISIONS)}")
    path = resolve_model_path(model)
    if not path.is_file():
        raise ModelSourceError(f"action model {path} does not exist (parameter 'model')")
    if is_ensemble_file(path):
        return _load_ensemble(path, labels, layout, device, threads, backend, precision, workers)
    runtime_name = choose_runtime(path.suffix, backend, device)
    if not isinstance(workers, int) or workers < 1 or (workers > 1 and runtime_name != "onnxruntime"):
        raise ModelSourceError(
            f"workers {workers!r}: 1, or more with ONNX Runtime (backend auto/onnxruntime on the CPU)")
    if precision == "int8":
        check_int8(path, runtime_name, device)
    if runtime_name == "onnxruntime":
        providers = ort_providers(device)
        if path.suffix.lower() == ".onnx":
            runtime: InferenceBackend = _onnx_backend(path, threads, providers, workers)
        else:
            runtime = OnnxRuntimeBackend(cached_onnx(path, layout, precision), threads=threads,
                                         providers=providers, workers=workers)
    else:
        check_torch_device(device)
        from action_recognition.model.backends import TorchBackend

        ckpt = _load_checkpoint(path, layout)
        runtime = TorchBackend(ckpt.model, ckpt.spec, device=device, threads=threads)
    spec = runtime.spec
    names = read_labels(labels) if labels else spec.class_names
    if names is None:
        raise ModelSourceError(
            f"{path} names no classes: pass a label file (one class per line) with the 'labels' parameter"
        )
    if len(names) != spec.num_classes:
        source = labels or f"{path} (class_names)"
        raise ModelSourceError(
            f"{source}: {len(names)} labels but the model has {spec.num_classes} classes; "
            "use the label file the model was trained with"
        )
    return ActionModel(runtime, spec, list(names), path)


def _load_ensemble(path: Path, labels: str | os.PathLike | None, layout: str | None, device: str,
                   threads: int | None, backend: str, precision: str, workers: int) -> ActionModel:
    """Each member as `load_action_model` loads it alone, behind one EnsembleBackend."""
    try:
        ensemble = read_ensemble(path)
    except EnsembleError as exc:
        raise ModelSourceError(str(exc)) from None
    members = [load_action_model(m, labels, layout, device, threads, backend, precision, workers)
               for m in ensemble.members]
    try:
        spec = check_same_input([m.spec for m in members], [m.path.name for m in members], str(path))
    except EnsembleError as exc:
        raise ModelSourceError(str(exc)) from None
    runtime = EnsembleBackend([m.backend for m in members], spec)
    return ActionModel(runtime, spec, members[0].labels, path)


def _onnx_backend(path: Path, threads: int | None, providers: list | None = None,
                  workers: int = 1) -> InferenceBackend:
    """ONNX Runtime on a user's .onnx; an unusable file is one ModelSourceError line, not a traceback."""
    try:
        runtime = OnnxRuntimeBackend(path, threads=threads, providers=providers, workers=workers)
    except Exception as exc:  # onnxruntime raises its own pybind classes (InvalidProtobuf, Fail, ...)
        raise ModelSourceError(_onnx_problem(path, exc)) from None
    if runtime.spec is None:
        raise ModelSourceError(_NO_SPEC.format(path=path))
    return runtime


_NO_SPEC = ("{path}: ONNX file without our model spec metadata (layout, classes, window); export the "
            "checkpoint with `action-recognition export`, or use the .pth itself")


def _onnx_problem(path: Path, exc: Exception) -> str:
    """Why OnnxRuntimeBackend failed: an unreadable file, or a readable one that is not our export."""
    import onnxruntime as ort

    try:
        session = ort.InferenceSession(os.fspath(path), providers=["CPUExecutionProvider"])
    except Exception as read_exc:  # see above
        first = str(read_exc).strip().splitlines()[0] if str(read_exc).strip() else type(read_exc).__name__
        return f"{path}: not a readable ONNX model, corrupt or truncated ({first})"
    if spec_from_metadata(session.get_modelmeta().custom_metadata_map) is None:
        return _NO_SPEC.format(path=path)  # a foreign model fails the shape reads before the spec check
    return f"{path}: not an ST-GCN++ export ({type(exc).__name__}: {exc})"


_DEVICE = re.compile(r"^(cpu|cuda(:\d+)?)$")


def choose_runtime(suffix: str, backend: str, device: str) -> str:
    """"onnxruntime" or "torch" for a model file: .onnx always ONNX Runtime; a .pth as `backend` says,
    "auto" = ONNX Runtime on the CPU (about 2x faster there, no torch in the process), PyTorch on a GPU.
    Raises ModelSourceError for a device that is neither cpu, cuda nor cuda:N."""
    if not _DEVICE.match(device):
        raise ModelSourceError(f"device {device!r}: use cpu, cuda or cuda:N (parameter 'device')")
    if suffix.lower() == ".onnx" or backend == "onnxruntime" or (backend == "auto" and device == "cpu"):
        return "onnxruntime"
    return "torch"


def ort_providers(device: str) -> list:
    """ONNX Runtime execution providers for `device`; a GPU needs onnxruntime's CUDA provider."""
    if device == "cpu":
        return ["CPUExecutionProvider"]
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        raise ModelSourceError(
            f"device {device!r}: this onnxruntime has no CUDA provider (install onnxruntime-gpu), or use "
            "device:=cpu, or a .pth model with backend:=torch on the GPU"
        )
    index = int(device.split(":")[1]) if ":" in device else 0
    return [("CUDAExecutionProvider", {"device_id": index}), "CPUExecutionProvider"]


def check_int8(path: Path, runtime: str, device: str) -> None:
    """INT8 is an export of a checkpoint run by ONNX Runtime on the CPU; ModelSourceError otherwise."""
    if path.suffix.lower() == ".onnx":
        raise ModelSourceError(
            f"precision 'int8' quantises a checkpoint's export; {path} is already an ONNX file: give the "
            ".pth (or a shipped model's name), or use precision fp32")
    if runtime != "onnxruntime" or device != "cpu":
        raise ModelSourceError(
            f"precision 'int8' runs on ONNX Runtime on the CPU; got device {device!r} with the "
            f"{runtime} backend: use device cpu and backend auto or onnxruntime, or precision fp32")


def check_torch_device(device: str) -> None:
    """A CUDA device PyTorch can use, or ModelSourceError naming what is missing."""
    if device == "cpu":
        return
    import torch

    if not torch.cuda.is_available():
        raise ModelSourceError(f"device {device!r}: PyTorch sees no CUDA GPU here; use device:=cpu")
    count = torch.cuda.device_count()
    index = int(device.split(":")[1]) if ":" in device else 0
    if index >= count:
        raise ModelSourceError(f"device {device!r}: only {count} CUDA device(s) (cuda:0 .. cuda:{count - 1})")


def _load_checkpoint(path: Path, layout: str | None):  # -> Checkpoint (imports torch)
    from action_recognition.model.checkpoint import CheckpointError, load_checkpoint

    try:
        return load_checkpoint(path, **({"layout": layout} if layout else {}))
    except CheckpointError as exc:
        raise ModelSourceError(str(exc)) from None


def onnx_cache_path(path: Path, layout: str | None = None, precision: str = "fp32") -> Path:
    """Where the ONNX export of a checkpoint is cached: keyed by its bytes, the layout override and the
    ModelSpec's fields (a spec that gains a field re-exports, so the stored spec is never stale); an
    INT8 export also by its format version, in a file of its own."""
    digest = hashlib.sha256(path.read_bytes())
    digest.update((layout or "").encode())
    digest.update(",".join(f.name for f in dataclasses.fields(ModelSpec)).encode())
    suffix = ".onnx"
    if precision == "int8":
        from action_recognition.model.quantize import INT8_FORMAT

        digest.update(INT8_FORMAT.encode())
        suffix = ".int8.onnx"
    return paths.cache_dir() / "onnx" / f"{path.stem}-{digest.hexdigest()[:20]}{suffix}"


def cached_onnx(path: Path, layout: str | None = None, precision: str = "fp32") -> Path:
    """The ONNX export of a checkpoint, made once per file content (and layout, precision) and reused.

    Only a cache miss loads the checkpoint (and torch); a hit needs the file's bytes alone.
    """
    target = onnx_cache_path(path, layout, precision)
    if not target.is_file():
        ckpt = _load_checkpoint(path, layout)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        if precision == "int8":
            from action_recognition.model.quantize import export_int8

            export_int8(ckpt.model, tmp, spec=ckpt.spec)  # checks itself against the model
        else:
            from action_recognition.model.export import check_onnx_parity, export_onnx

            export_onnx(ckpt.model, tmp, spec=ckpt.spec, example_frames=ckpt.spec.clip_len)
            check_onnx_parity(ckpt.model, tmp)  # raises above 1e-4: never serve a wrong export
        shutil.move(tmp, target)  # atomic: parallel nodes never read a half-written file
    return target


def resolve_model_path(model: str | os.PathLike | None) -> Path:
    """A file path as given; a bare built-in name (`stgcnpp_coco_synth`) -> that model folder's
    ensemble.yaml if it has one, else its model.pth; `<name>/<file>` not found here -> that file of a
    shipped model (`stgcnpp_coco_real/model.pth`: one member of an ensemble); None or "" -> the shipped
    default model."""
    if not model:
        return paths.default_action_model()
    path = Path(model)
    if path.exists() or path.is_absolute():
        return path
    if path.suffix == "" and len(path.parts) == 1:
        named = paths.shipped_model_file(path.name)
        if named.is_file():
            return named
    if len(path.parts) == 2 and (paths.models_dir() / path).is_file():
        return paths.models_dir() / path
    return path
