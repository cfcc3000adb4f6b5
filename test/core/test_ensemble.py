"""Ensembles of checkpoints (model/ensemble.py): the file, its errors, and the averaged probabilities on
every path a model is loaded by (ONNX Runtime, PyTorch, `eval`'s loader, built-in names)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from action_recognition import paths
from action_recognition.model import ModelSpec, build_model, export_onnx, save_checkpoint
from action_recognition.model.backends import backend_name
from action_recognition.model.checkpoint import CheckpointError, load_model_file
from action_recognition.model.ensemble import mean_probability_logits, read_ensemble
from action_recognition.recognition import ModelSourceError, load_action_model
from action_recognition.recognition.model_source import resolve_model_path

torch.set_num_threads(1)
LABELS = ["sit", "stand", "walk"]
SPEC = ModelSpec(layout="coco", num_classes=3, class_names=LABELS, clip_len=16)


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Two members drawn with different seeds, with an ensemble file beside them."""
    out = tmp_path_factory.mktemp("ensemble")
    for seed, name in ((1, "model.pth"), (2, "model_seed1.pth")):
        torch.manual_seed(seed)
        model = build_model(SPEC).eval()
        with torch.no_grad():  # a fresh head is near uniform (std 0.01); trained heads are not
            model.cls_head.fc_cls.weight.normal_(0.0, 5.0)
        save_checkpoint(out / name, model, SPEC)
    (out / "ensemble.yaml").write_text("members: [model.pth, model_seed1.pth]\n")
    return out


@pytest.fixture(scope="module")
def clips() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((4, 1, 16, 17, 3)).astype(np.float32)


def member_probs(folder: Path, clips: np.ndarray) -> list[np.ndarray]:
    out = []
    for name in ("model.pth", "model_seed1.pth"):
        model = load_model_file(folder / name).model
        with torch.inference_mode():
            out.append(softmax(model(torch.from_numpy(clips)).numpy().astype(np.float64)))
    return out


def test_mean_probability_logits_softmax_to_the_members_mean() -> None:
    a = np.array([[4.0, 0.0, 0.0], [0.0, 9.0, -9.0]])
    b = np.array([[0.0, 3.0, 0.0], [50.0, 0.0, 0.0]])  # large logits: no overflow
    out = mean_probability_logits([a, b])
    expected = (softmax(a) + softmax(b)) / 2
    np.testing.assert_allclose(softmax(out.astype(np.float64)), expected, atol=1e-6)
    assert out.argmax(1).tolist() == [0, 0]  # neither member's own top class in row 0 alone decides


@pytest.mark.parametrize("backend", ["onnxruntime", "torch"])
def test_an_ensemble_file_gives_the_members_mean_probability(folder: Path, clips: np.ndarray,
                                                             backend: str) -> None:
    loaded = load_action_model(folder / "ensemble.yaml", backend=backend, threads=1)
    assert loaded.labels == LABELS and loaded.spec == SPEC and loaded.name == folder.name
    kind = "OnnxRuntimeBackend" if backend == "onnxruntime" else "TorchBackend"
    assert backend_name(loaded.backend) == f"EnsembleBackend of 2 x {kind}"
    probs = member_probs(folder, clips)
    assert np.abs(probs[0] - probs[1]).max() > 0.05  # the members differ, so the mean is a real test
    got = softmax(loaded.backend.predict(clips).astype(np.float64))
    np.testing.assert_allclose(got, (probs[0] + probs[1]) / 2, atol=1e-4)


def test_evals_loader_makes_one_module_of_the_members(folder: Path, clips: np.ndarray) -> None:
    ckpt = load_model_file(folder / "ensemble.yaml")
    assert ckpt.spec == SPEC and ckpt.meta["ensemble_members"] == ["model.pth", "model_seed1.pth"]
    with torch.inference_mode():
        got = softmax(ckpt.model(torch.from_numpy(clips)).numpy().astype(np.float64))
    probs = member_probs(folder, clips)
    np.testing.assert_allclose(got, (probs[0] + probs[1]) / 2, atol=1e-5)


def test_a_models_folder_with_an_ensemble_resolves_to_it(folder: Path, monkeypatch) -> None:
    models = folder.parent / "models_root"
    (models / "seeds").mkdir(parents=True, exist_ok=True)
    (models / "single").mkdir(exist_ok=True)
    for name in ("model.pth", "model_seed1.pth", "ensemble.yaml"):
        (models / "seeds" / name).write_bytes((folder / name).read_bytes())
    (models / "single" / "model.pth").write_bytes((folder / "model.pth").read_bytes())
    monkeypatch.setenv("ACTION_RECOGNITION_MODELS_DIR", str(models))
    assert resolve_model_path("seeds") == models / "seeds" / "ensemble.yaml"
    assert resolve_model_path("single") == models / "single" / "model.pth"
    assert resolve_model_path("seeds/model_seed1.pth") == models / "seeds" / "model_seed1.pth"  # one member
    assert resolve_model_path("seeds/gone.pth") == Path("seeds/gone.pth")  # left alone: the loader names it
    loaded = load_action_model("seeds", threads=1)
    assert loaded.name == "seeds" and len(loaded.backend.members) == 2


def test_the_shipped_default_is_whatever_its_folder_holds() -> None:
    default = paths.default_action_model()
    folder = paths.models_dir() / paths.DEFAULT_ACTION_MODEL
    expected = folder / "ensemble.yaml" if (folder / "ensemble.yaml").is_file() else folder / "model.pth"
    assert default == expected and default.is_file()


def _write(folder: Path, text: str) -> Path:
    path = folder / "bad.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, expected", [
    ("[model.pth]\n", r"bad\.yaml: field 'members' is missing"),
    ("members: []\n", r"bad\.yaml: field 'members' must be a non-empty list"),
    ("members: model.pth\n", r"field 'members' must be a non-empty list"),
    ("members: [model.pth, model.pth]\n", r"names a file twice"),
    ("members: [model.pth, gone.pth]\n", r"member 'gone\.pth' does not exist"),
    ("members: [model.pth, ensemble.yaml]\n", r"member 'ensemble\.yaml' is not a checkpoint.*do not nest"),
    ("members: [model.pth]\nweights: [1, 2]\n", r"unknown field\(s\) \['weights'\]"),
    ("members: [model.pth\n", r"bad\.yaml: not readable YAML"),
])
def test_a_bad_ensemble_file_is_one_error_naming_file_and_field(folder: Path, tmp_path: Path, text: str,
                                                                expected: str) -> None:
    for name in ("model.pth", "ensemble.yaml"):
        (tmp_path / name).write_bytes((folder / name).read_bytes())
    path = _write(tmp_path, text)
    with pytest.raises(ModelSourceError, match=expected):
        load_action_model(path)
    with pytest.raises(CheckpointError, match=expected):
        load_model_file(path)


def test_members_must_take_the_same_input_and_classes(folder: Path, tmp_path: Path) -> None:
    longer = ModelSpec(layout="coco", num_classes=3, class_names=LABELS, clip_len=24)
    save_checkpoint(tmp_path / "long.pth", build_model(longer), longer)
    renamed = ModelSpec(layout="coco", num_classes=3, class_names=["a", "b", "c"], clip_len=16)
    save_checkpoint(tmp_path / "renamed.pth", build_model(renamed), renamed)
    (tmp_path / "model.pth").write_bytes((folder / "model.pth").read_bytes())
    path = _write(tmp_path, "members: [model.pth, long.pth]\n")
    with pytest.raises(ModelSourceError, match=r"member long\.pth differs from model\.pth .*'clip_len'"):
        load_action_model(path)
    path = _write(tmp_path, "members: [model.pth, renamed.pth]\n")
    with pytest.raises(CheckpointError, match=r"'class_names'"):
        load_model_file(path)


def test_onnx_members_run_on_onnx_runtime_but_not_in_pytorch(folder: Path, tmp_path: Path,
                                                           clips: np.ndarray) -> None:
    for i, name in enumerate(("model.pth", "model_seed1.pth")):
        model = load_model_file(folder / name).model
        export_onnx(model, tmp_path / f"m{i}.onnx", spec=SPEC, example_frames=16)
    path = _write(tmp_path, "members: [m0.onnx, m1.onnx]\n")
    got = softmax(load_action_model(path).backend.predict(clips).astype(np.float64))
    probs = member_probs(folder, clips)
    np.testing.assert_allclose(got, (probs[0] + probs[1]) / 2, atol=1e-4)
    with pytest.raises(CheckpointError, match=r"ONNX files; PyTorch needs \.pth"):
        load_model_file(path)


def test_export_asks_for_the_members_of_an_ensemble(folder: Path, tmp_path: Path, capsys) -> None:
    from action_recognition.cli.main import main

    out = tmp_path / "e.onnx"
    assert main(["export", "--checkpoint", str(folder / "ensemble.yaml"), "--out", str(out)]) == 2
    assert "export each of its members" in capsys.readouterr().err and not out.exists()


def test_the_shipped_three_seed_ensemble_is_the_default_plus_two_seeds() -> None:
    """models/stgcnpp_coco_real_x3: loads by name; seed 0 is byte for byte the default model; the members
    take the default's input and classes (docs/accuracy.md, recipe v6)."""
    path = resolve_model_path("stgcnpp_coco_real_x3")
    assert path.name == "ensemble.yaml"
    members = read_ensemble(path).members
    default = paths.models_dir() / paths.DEFAULT_ACTION_MODEL / "model.pth"
    assert len(members) == 3 and members[0].read_bytes() == default.read_bytes()
    assert len({m.read_bytes() for m in members}) == 3  # three different runs
    ckpt = load_model_file(path)
    assert ckpt.spec == load_model_file(default).spec and ckpt.meta["unknown_margin"] == 1.5
