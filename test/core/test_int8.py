"""The INT8 action model: its channels-last graph, the quantised export, its labels, choice and cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from pyskl_facts import random_pyskl_state_dict
from synthetic_people import held_out_people

from action_recognition.features import sample_to_clips
from action_recognition.model import STGCNPP, ModelSpec, fuse_model, save_checkpoint
from action_recognition.model.channels_last import channels_last_model
from action_recognition.recognition import ModelSourceError, load_action_model
from action_recognition.recognition.model_source import onnx_cache_path

torch.set_num_threads(1)


def _trained(layout: str = "coco", joints: int = 17, classes: int = 10, seed: int = 3) -> STGCNPP:
    model = STGCNPP(layout, classes)
    model.load_state_dict(random_pyskl_state_dict(joints, classes, seed=seed), strict=True)
    return model.eval()


@pytest.mark.parametrize(("n", "m", "t"), [(1, 1, 48), (2, 2, 37), (3, 1, 8), (1, 1, 7)])
def test_channels_last_graph_matches_the_model(n, m, t):
    """Same sums as the fused graph (strided blocks, odd lengths, two persons): float32 rounding only."""
    model = _trained()
    net = channels_last_model(fuse_model(model))
    x = torch.randn(n, m, t, 17, 3)
    with torch.inference_mode():
        ref, got = model(x), net(x)
    assert ref.abs().max() > 1e-2
    assert (ref - got).abs().max().item() < 1e-4


def test_channels_last_graph_for_another_layout():
    model = _trained("nturgb+d", 25, 60, seed=0)
    x = torch.randn(2, 2, 30, 25, 3)
    with torch.inference_mode():
        assert (model(x) - channels_last_model(fuse_model(model))(x)).abs().max().item() < 1e-4


# Measured on the default model's synthetic test split (1000 clips, docs/action_node.md): logits differ
# from float32 by 0.06 on average and 0.59 at most (range of a clip's logits ~15); 99.7 % same label.
LOGIT_TOLERANCE = 1.0


@pytest.fixture(scope="module")
def default_models():
    return {p: load_action_model(None, threads=1, precision=p) for p in ("fp32", "int8")}


def test_int8_default_model_gives_the_labels_of_fp32(default_models):
    """Held-out synthetic people (fixed seed): INT8 logits within LOGIT_TOLERANCE of float32, same labels."""
    fp32, int8 = default_models["fp32"], default_models["int8"]
    assert int8.backend.precision == "int8" and fp32.backend.precision == "fp32"
    assert int8.spec == fp32.spec and int8.labels == fp32.labels
    people = held_out_people(fp32.labels, 30, seed=11)
    clips = np.concatenate([sample_to_clips(p, fp32.spec, test_mode=True) for p in people])
    a, b = fp32.backend.predict(clips), int8.backend.predict(clips)
    assert np.ptp(a, axis=1).mean() > 5  # logits of a meaningful size, so the tolerance means something
    assert np.abs(a - b).max() < LOGIT_TOLERANCE
    assert a.argmax(1).tolist() == b.argmax(1).tolist()


def test_int8_export_is_quantised_and_cached(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("ACTION_RECOGNITION_CACHE_DIR", str(tmp_path / "cache"))
    spec = ModelSpec("coco", 10, class_names=[f"c{i}" for i in range(10)], clip_len=24)
    path = save_checkpoint(tmp_path / "model.pth", _trained(), spec)
    model = load_action_model(path, precision="int8")
    export = onnx_cache_path(path, precision="int8")
    assert export.is_file() and export.name.endswith(".int8.onnx")
    assert export != onnx_cache_path(path)  # the float32 export keeps its own file
    ops = {node.op_type for node in _graph(export).node}
    assert "DynamicQuantizeMatMul" in ops or "MatMulInteger" in ops
    assert model.spec.class_names == spec.class_names and model.spec.clip_len == 24
    stamp = export.stat().st_mtime_ns
    again = load_action_model(path, precision="int8")
    assert export.stat().st_mtime_ns == stamp  # reused, not exported again
    x = np.random.default_rng(0).uniform(-0.5, 0.5, (2, 1, 24, 17, 3)).astype(np.float32)
    np.testing.assert_array_equal(again.backend.predict(x), model.backend.predict(x))


def _graph(path: Path):
    import onnx

    return onnx.load(str(path)).graph


def test_precision_is_checked(tmp_path: Path):
    with pytest.raises(ModelSourceError, match="precision 'int4': use one of fp32, int8"):
        load_action_model(None, precision="int4")
    with pytest.raises(ModelSourceError, match="runs on ONNX Runtime on the CPU"):
        load_action_model(None, precision="int8", backend="torch")
    onnx_file = tmp_path / "m.onnx"
    onnx_file.write_bytes(b"not read")
    with pytest.raises(ModelSourceError, match="already an ONNX file"):
        load_action_model(onnx_file, precision="int8")
