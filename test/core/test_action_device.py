"""Where the action model runs (CPU-runnable checks of the GPU code paths: choice and clear errors)."""

from __future__ import annotations

import onnxruntime as ort
import pytest
import torch

from action_recognition.recognition import ModelSourceError, load_action_model
from action_recognition.recognition.model_source import choose_runtime, ort_providers


@pytest.mark.parametrize("suffix, backend, device, expected", [
    (".pth", "auto", "cpu", "onnxruntime"),  # 2x faster on the CPU and no torch in the process
    (".pth", "auto", "cuda", "torch"),
    (".pth", "auto", "cuda:1", "torch"),
    (".pth", "torch", "cpu", "torch"),
    (".pth", "onnxruntime", "cuda", "onnxruntime"),
    (".onnx", "torch", "cuda:0", "onnxruntime"),  # an .onnx file has no PyTorch model in it
    (".ONNX", "auto", "cpu", "onnxruntime"),
])
def test_runtime_by_file_backend_and_device(suffix, backend, device, expected) -> None:
    assert choose_runtime(suffix, backend, device) == expected


@pytest.mark.parametrize("device", ["gpu", "cuda:x", "CUDA", "0", ""])
def test_unknown_devices_are_named(device) -> None:
    with pytest.raises(ModelSourceError, match="use cpu, cuda or cuda:N"):
        choose_runtime(".pth", "auto", device)


def test_cpu_providers_and_a_gpu_without_cuda_is_a_clear_error() -> None:
    assert ort_providers("cpu") == ["CPUExecutionProvider"]
    if "CUDAExecutionProvider" in ort.get_available_providers():
        assert ort_providers("cuda:1")[0] == ("CUDAExecutionProvider", {"device_id": 1})
    else:
        with pytest.raises(ModelSourceError, match="no CUDA provider"):
            ort_providers("cuda")
    if not torch.cuda.is_available():
        with pytest.raises(ModelSourceError, match="PyTorch sees no CUDA GPU here; use device:=cpu"):
            load_action_model(None, device="cuda")  # the default .pth on a GPU: PyTorch
    else:
        count = torch.cuda.device_count()
        with pytest.raises(ModelSourceError, match=f"only {count} CUDA device"):
            load_action_model(None, device=f"cuda:{count}")
