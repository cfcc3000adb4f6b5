"""Loading the action model a user names: our checkpoints, PYSKL files with a label file, ONNX, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from action_recognition.model import ModelSpec, build_model, export_onnx, save_checkpoint
from action_recognition.recognition import ModelSourceError, load_action_model, read_labels

torch.set_num_threads(1)
SPEC = ModelSpec(layout="coco", num_classes=3, class_names=["sit", "stand", "walk"], clip_len=16)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(1)
    return build_model(SPEC).eval()


def test_our_checkpoint_brings_its_spec_and_labels(tmp_path: Path, model) -> None:
    path = save_checkpoint(tmp_path / "model.pth", model, SPEC)
    loaded = load_action_model(path)
    assert loaded.labels == ["sit", "stand", "walk"] and loaded.spec.clip_len == 16
    assert loaded.name == tmp_path.name
    x = np.random.default_rng(0).standard_normal((2, 2, 16, 17, 3)).astype(np.float32)
    expected = model(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(loaded.backend.predict(x), expected, atol=1e-4)


def test_pyskl_checkpoint_needs_a_label_file_of_the_right_length(tmp_path: Path, model) -> None:
    path = tmp_path / "pyskl.pth"
    torch.save({"meta": {}, "state_dict": {f"module.{k}": v for k, v in model.state_dict().items()}}, path)
    with pytest.raises(ModelSourceError, match="label file"):
        load_action_model(path)
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("a\nb\n")
    with pytest.raises(ModelSourceError, match="2 labels but the model has 3 classes"):
        load_action_model(path, labels=wrong)
    right = tmp_path / "labels.txt"
    right.write_text("sitting down\nstanding up\n\nwalking\n")
    loaded = load_action_model(path, labels=right)
    assert loaded.labels == ["sitting down", "standing up", "walking"]
    assert loaded.spec.skeleton().name == "coco"  # inferred from the 17-joint weights


def test_onnx_model_carries_its_spec(tmp_path: Path, model) -> None:
    path = export_onnx(model, tmp_path / "model.onnx", spec=SPEC, example_frames=16)
    loaded = load_action_model(path)
    assert loaded.labels == SPEC.class_names and type(loaded.backend).__name__ == "OnnxRuntimeBackend"
    bare = export_onnx(model, tmp_path / "bare.onnx", spec=None, example_frames=16)
    with pytest.raises(ModelSourceError, match="action-recognition export"):
        load_action_model(bare)


def test_missing_model_and_label_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ModelSourceError, match=r"no_model\.pth does not exist"):
        load_action_model(tmp_path / "no_model.pth")
    with pytest.raises(ModelSourceError, match=r"labels\.txt does not exist"):
        read_labels(tmp_path / "labels.txt")


def test_yaml_label_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("labels: [x, y]\n")
    (tmp_path / "b.yaml").write_text("- x\n- y\n")
    (tmp_path / "c.yaml").write_text("labels: 3\n")
    assert read_labels(tmp_path / "a.yaml") == read_labels(tmp_path / "b.yaml") == ["x", "y"]
    with pytest.raises(ModelSourceError, match="YAML list"):
        read_labels(tmp_path / "c.yaml")


def test_backend_choice_and_onnx_cache(tmp_path: Path, model, monkeypatch) -> None:
    monkeypatch.setenv("ACTION_RECOGNITION_CACHE_DIR", str(tmp_path / "cache"))
    path = save_checkpoint(tmp_path / "model.pth", model, SPEC)
    x = np.random.default_rng(3).standard_normal((3, 2, 16, 17, 3)).astype(np.float32)
    torch_model = load_action_model(path, backend="torch")
    auto = load_action_model(path)  # CPU: ONNX Runtime, exported into the cache after a parity check
    assert type(torch_model.backend).__name__ == "TorchBackend"
    assert type(auto.backend).__name__ == "OnnxRuntimeBackend"
    np.testing.assert_allclose(auto.backend.predict(x), torch_model.backend.predict(x), atol=1e-4)
    (export,) = (tmp_path / "cache" / "onnx").glob("*.onnx")
    stamp = export.stat().st_mtime_ns
    load_action_model(path, backend="onnxruntime")
    assert export.stat().st_mtime_ns == stamp  # reused, not exported again
    save_checkpoint(path, build_model(SPEC), SPEC)  # new weights: a new export
    load_action_model(path)
    assert len(list((tmp_path / "cache" / "onnx").glob("*.onnx"))) == 2
    with pytest.raises(ModelSourceError, match="backend 'tensorrt'"):
        load_action_model(path, backend="tensorrt")
