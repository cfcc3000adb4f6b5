"""ONNX export with dynamic axes, parity with PyTorch, and the backends behind one interface."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pyskl_facts import random_pyskl_state_dict

from action_recognition.model import (
    STGCNPP,
    InferenceBackend,
    ModelSpec,
    OnnxRuntimeBackend,
    TorchBackend,
    check_onnx_parity,
    create_backend,
    export_onnx,
    read_onnx_spec,
    save_checkpoint,
)

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def trained():
    model = STGCNPP("coco", 10)
    model.load_state_dict(random_pyskl_state_dict(17, 10, seed=3), strict=True)
    return model.eval()


@pytest.fixture(scope="module")
def onnx_file(trained, tmp_path_factory):
    spec = ModelSpec("coco", 10, class_names=[f"c{i}" for i in range(10)])
    return export_onnx(trained, tmp_path_factory.mktemp("onnx") / "m.onnx", spec), spec


def test_onnx_parity_dynamic_axes(trained, onnx_file):
    path, _ = onnx_file
    worst = check_onnx_parity(trained, path, shapes=((1, 1, 100), (4, 2, 33), (2, 3, 7)))
    assert worst < 1e-4
    x = np.random.default_rng(1).standard_normal((2, 2, 50, 17, 3)).astype(np.float32)
    with torch.inference_mode():
        ref = trained(torch.from_numpy(x)).numpy()
    assert np.abs(ref).max() > 1e-2
    got = OnnxRuntimeBackend(path, threads=1).predict(x)
    assert got.shape == (2, 10)
    np.testing.assert_allclose(got, ref, atol=1e-4)


def test_unfused_export_also_matches(trained, tmp_path):
    path = export_onnx(trained, tmp_path / "plain.onnx", fused=False)
    assert check_onnx_parity(trained, path, shapes=((2, 2, 20),)) < 1e-4
    assert read_onnx_spec(path) is None


def test_parity_check_detects_a_different_model(trained, onnx_file):
    other = STGCNPP("coco", 10).eval()
    with pytest.raises(AssertionError, match="parity"):
        check_onnx_parity(other, onnx_file[0], shapes=((1, 1, 20),))


def test_spec_travels_in_onnx_metadata(onnx_file):
    path, spec = onnx_file
    assert read_onnx_spec(path) == spec


def test_factory_picks_backend_by_suffix(trained, onnx_file, tmp_path):
    pth = save_checkpoint(tmp_path / "m.pth", trained, onnx_file[1])
    torch_backend = create_backend(pth, threads=1)
    ort_backend = create_backend(onnx_file[0], threads=1)
    assert isinstance(torch_backend, TorchBackend) and isinstance(ort_backend, OnnxRuntimeBackend)
    assert isinstance(torch_backend, InferenceBackend) and isinstance(ort_backend, InferenceBackend)
    x = np.random.default_rng(2).standard_normal((3, 2, 24, 17, 3)).astype(np.float32)
    np.testing.assert_allclose(torch_backend.predict(x), ort_backend.predict(x), atol=1e-4)
    unfused = TorchBackend(trained, fused=False).predict(x)
    np.testing.assert_allclose(torch_backend.predict(x), unfused, atol=1e-4)
    with pytest.raises(ValueError, match="unknown model file type"):
        create_backend(tmp_path / "m.bin")
    with pytest.raises(ValueError, match=r"\(N, M, T, 17, 3\)"):
        ort_backend.predict(x[..., :2])
