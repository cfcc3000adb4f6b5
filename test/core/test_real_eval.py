"""Measuring a model on labelled real motion: class mapping, windows, rejection of out-of-set actions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from action_recognition import paths
from action_recognition.model import ModelSpec, TorchBackend, build_model
from action_recognition.recognition import UNKNOWN_LABEL, ActionRecognizer, PersonFrame, RecognizerConfig
from action_recognition.recognition.model_source import resolve_model_path
from action_recognition.training.real_eval import (
    LabelledSet,
    Prediction,
    hidden,
    map_to_model,
    reframed,
    rejected,
    summarise,
    windows_of,
)

torch.set_num_threads(1)
REAL_DEV = Path(__file__).resolve().parents[2].parent / "shared" / "real_dev"
CLASSES = ["sitting down", "walking", "unknown"]


def test_file_classes_map_to_model_classes_by_name() -> None:
    mapping = map_to_model(["walking", "front boxing", "sitting down", "unknown"], CLASSES)
    assert mapping == {0: 1, 1: -1, 2: 0, 3: -1}  # a file's own "unknown" is never in set


def test_unknown_class_or_low_score_counts_as_rejected() -> None:
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.2, 0.7], [0.4, 0.35, 0.25]])
    assert rejected(probs, CLASSES, 0.0).tolist() == [False, True, False]
    assert rejected(probs, CLASSES, 0.5).tolist() == [False, True, True]


def test_summary_counts_rejected_in_set_samples_as_wrong() -> None:
    probs = np.array([[0.9, 0.05, 0.05], [0.2, 0.1, 0.7], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.6, 0.3, 0.1]])
    labels = np.array([0, 0, 1, -1, -1])
    out = summarise(Prediction(probs, labels, ["sit", "sit", "walk", "boxing", "bow"]), CLASSES, 0.0)
    assert out["top1"] == pytest.approx(2 / 3) and out["in_set_rejected"] == pytest.approx(1 / 3)
    assert out["per_class"]["sitting down"] == {"n": 2, "acc": 0.5}
    assert out["rejection"] == pytest.approx(0.5)
    assert out["out_of_set_not_rejected"] == {"bow": 1} and out["out_of_set_read_as"] == {"sitting down": 1}


def test_windows_slide_over_long_samples_and_keep_short_ones_whole() -> None:
    sample = {"keypoint": np.zeros((1, 100, 17, 2), np.float32), "keypoint_score": np.ones((1, 100, 17))}
    wins = windows_of(sample, 60, 15)
    assert [w["total_frames"] for w in wins] == [60, 60, 60]  # starts 0, 15, 30
    assert wins[2]["keypoint_score"].shape == (1, 60, 17)
    assert len(windows_of(sample, 120, 15)) == 1 and windows_of(sample, 120, 15)[0]["total_frames"] == 100


def test_recognizer_publishes_the_models_unknown_class_as_unknown() -> None:
    torch.manual_seed(0)
    spec = ModelSpec(layout="coco", num_classes=3, class_names=CLASSES, clip_len=16, num_person=1)
    model = build_model(spec)
    with torch.no_grad():  # make the internal class win for any input
        model.cls_head.fc_cls.bias[:] = torch.tensor([0.0, 0.0, 50.0])
    rec = ActionRecognizer(TorchBackend(model, spec), spec, CLASSES,
                           RecognizerConfig(window_s=16 / 30, min_window_s=16 / 30))
    rng = np.random.default_rng(0)
    results = []
    for f in range(16):
        coords = (200 + rng.normal(0, 5, (17, 2))).astype(np.float32)
        rec.add_frame(f * 1_000_000_000 // 30, [PersonFrame(1, coords, np.full(17, 0.9, np.float32))],
                      (640, 480))
        results += rec.step()
    assert results and all(r.label == UNKNOWN_LABEL and r.class_id == -1 for r in results)
    assert results[-1].score > 0.99  # the top probability is still reported


def test_built_in_model_names_resolve_to_the_models_folder(tmp_path: Path) -> None:
    assert resolve_model_path("stgcnpp_coco_synth") == paths.models_dir() / "stgcnpp_coco_synth" / "model.pth"
    assert resolve_model_path("stgcnpp_coco_synth").is_file()
    assert resolve_model_path(None) == paths.default_action_model()
    assert resolve_model_path("") == paths.default_action_model()
    assert resolve_model_path("no_such_model") == Path("no_such_model")  # left alone: the loader names it
    own = tmp_path / "model.pth"
    assert resolve_model_path(own) == own


@pytest.mark.skipif(not REAL_DEV.is_dir(), reason=f"real development data not present at {REAL_DEV} "
                    "(../shared/real_dev; only on the project's own machines)")
def test_real_dev_files_map_onto_the_default_model_and_evaluate() -> None:
    from action_recognition.model.checkpoint import load_model_file
    from action_recognition.training.real_eval import LabelledSet, evaluate_set, load_labelled

    ckpt = load_model_file(resolve_model_path(None))
    classes = ckpt.spec.class_names
    data = load_labelled(REAL_DEV / "utd_mhad_dev_coco2d.pkl", classes)
    assert data.fps == 30.0 and len(data.samples) == 431
    in_set = {data.source_labels[i] for i in np.flatnonzero(data.labels >= 0)}
    assert {"stand to sit", "sit to stand", "right hand wave", "two hand front clap"} <= in_set
    assert "front boxing" not in in_set and (data.labels == -1).sum() > 300
    pick = [i for i, s in enumerate(data.source_labels) if s == "stand to sit"][:4]
    pick += [i for i, s in enumerate(data.source_labels) if s == "front boxing"][:4]
    small = LabelledSet("utd", [data.samples[i] for i in pick], data.labels[pick],
                        [data.source_labels[i] for i in pick], data.fps)
    report = evaluate_set(ckpt.model, ckpt.spec, small, classes, windows_s=(2.0,))
    assert report["whole"]["in_set"] + report["whole"]["out_of_set"] == len(pick)
    assert "sitting down" in report["whole"]["per_class"] and "rejection" in report["window_2s"]


def test_threshold_sweep_trades_in_set_accuracy_for_rejection() -> None:
    from action_recognition.training.real_eval import threshold_sweep

    probs = np.array([[0.9, 0.05, 0.05], [0.45, 0.4, 0.15], [0.5, 0.3, 0.2]])
    rows = threshold_sweep(Prediction(probs, np.array([0, 0, -1])), CLASSES, (0.0, 0.48, 0.95))
    assert [r["top1"] for r in rows] == [1.0, 0.5, 0.0]
    assert [r["rejection"] for r in rows] == [0.0, 0.0, 1.0]


def test_eval_real_cli_reports_per_class_windows_and_rejection(tmp_path: Path, capsys) -> None:
    """A model that always answers `unknown`: all out-of-set samples rejected, no in-set one right."""
    import json

    from action_recognition.cli.main import main
    from action_recognition.data.format import save_dataset
    from action_recognition.model import save_checkpoint

    spec = ModelSpec(layout="coco", num_classes=3, class_names=CLASSES, clip_len=16, num_person=1,
                     arch={"base_channels": 16, "num_stages": 4, "inflate_stages": [3], "down_stages": [3]})
    model = build_model(spec)
    with torch.no_grad():
        model.cls_head.fc_cls.weight.zero_()
        model.cls_head.fc_cls.bias.copy_(torch.tensor([0.0, 0.0, 5.0]))
    ckpt = save_checkpoint(tmp_path / "m.pth", model, spec)
    rng = np.random.default_rng(0)
    anns = [{"frame_dir": f"s{i}", "label": lab, "total_frames": 75, "subject": 1 + i % 2,
             "keypoint": (200 + rng.normal(0, 5, (1, 75, 17, 2))).astype(np.float32),
             "keypoint_score": np.full((1, 75, 17), 0.95, np.float32), "img_shape": (480, 640), "fps": 30.0}
            for i, lab in enumerate([0, 1, 2, 2])]
    data = save_dataset({"split": {"dev": [a["frame_dir"] for a in anns]}, "annotations": anns,
                         "classes": ["sitting down", "walking", "front boxing"]}, tmp_path / "real.pkl")
    out = tmp_path / "eval"
    rc = main(["eval", "--checkpoint", str(ckpt), "--real", str(data), "--windows", "2", "--threads", "1",
               "--out", str(out)])
    assert rc == 0
    result = json.loads((out / "real_metrics.json").read_text())
    (report,) = result["reports"]
    assert report["whole"]["top1"] == 0.0 and report["whole"]["rejection"] == 1.0
    assert report["whole"]["per_class"] == {"sitting down": {"n": 1, "acc": 0.0},
                                            "walking": {"n": 1, "acc": 0.0}}
    assert report["window_2s"]["windows"] == 4 * 2  # 75 frames: 60-frame windows at 0 and 15
    assert "| real | whole | 4 |" in capsys.readouterr().out
    rc = main(["eval", "--checkpoint", str(ckpt), "--real", str(data), "--windows", "2", "--subjects", "2",
               "--out", str(out)])
    assert rc == 0 and json.loads((out / "real_metrics.json").read_text())["reports"][0]["sequences"] == 2
    assert main(["eval", "--checkpoint", str(ckpt), "--real", str(data), "--windows", "two"]) == 2
    rc = main(["eval", "--checkpoint", str(ckpt), "--real", str(data), "--windows", "2", "--shift", "0,-60",
               "--scale", "0.5", "--canvas", "1280x720", "--out", str(out)])
    result = json.loads((out / "real_metrics.json").read_text())
    assert rc == 0 and result["reports"][0]["file"] == "real@shift0,-60_scale0.5_canvas1280x720"
    assert (result["shift"], result["scale"], result["canvas"]) == ([0.0, -60.0], 0.5, [1280, 720])
    for bad in (["--shift", "60"], ["--scale", "0"], ["--canvas", "1280"], ["--canvas", "0x720"],
                ["--hide", "left_ankle,tail"]):
        assert main(["eval", "--checkpoint", str(ckpt), "--real", str(data), *bad]) == 2, bad
    rc = main(["eval", "--checkpoint", str(ckpt), "--real", str(data), "--windows", "2",
               "--hide", "left_ankle,right_ankle", "--out", str(out)])
    result = json.loads((out / "real_metrics.json").read_text())
    assert rc == 0 and result["hide"] == ["left_ankle", "right_ankle"]
    assert result["reports"][0]["file"] == "real@hide_left_ankle+right_ankle"


def test_lowering_the_unknown_logit_moves_samples_back_into_the_set() -> None:
    from action_recognition.training.real_eval import shift_class, unknown_margin_sweep

    probs = np.array([[0.3, 0.1, 0.6], [0.05, 0.05, 0.9]])
    shifted = shift_class(probs, 2, np.log(4.0))  # unknown's odds divided by 4
    np.testing.assert_allclose(shifted[0], np.array([0.3, 0.1, 0.15]) / 0.55)
    rows = unknown_margin_sweep(Prediction(probs, np.array([0, -1])), CLASSES, (0.0, 1.0))
    assert rows == [{"margin": 0.0, "top1": 0.0, "rejection": 1.0},
                    {"margin": 1.0, "top1": 1.0, "rejection": 1.0}]
    assert unknown_margin_sweep(Prediction(probs, np.array([0, -1])), ["a", "b", "c"]) == []


def test_hidden_joints_reach_the_model_as_never_detected() -> None:
    kp = np.full((1, 4, 17, 2), 300.0, np.float32)
    score = np.full((1, 4, 17), 0.9, np.float32)
    data = LabelledSet("set", [{"keypoint": kp, "keypoint_score": score, "img_shape": (480, 640)}],
                       np.array([0]), ["sitting down"], 30.0)
    out = hidden(data, [15, 16], "ankles")
    (sample,) = out.samples
    assert np.all(sample["keypoint"][..., 15:, :] == 0) and np.all(sample["keypoint_score"][..., 15:] == 0)
    assert np.all(sample["keypoint"][..., :15, :] == 300.0)
    assert np.all(sample["keypoint_score"][..., :15] == 0.9)
    assert kp[0, 0, 15, 0] == 300.0 and score[0, 0, 15] == 0.9  # the input is not changed
    assert out.name == "set@hide_ankles" and out.labels.tolist() == [0]


def test_reframing_moves_and_scales_detected_joints_only_and_can_enlarge_the_frame() -> None:
    kp = np.array([[[[320.0, 240.0], [420.0, 340.0], [0.0, 0.0]]]], np.float32)  # (M, T, V, 2)
    score = np.array([[[0.9, 0.9, 0.0]]], np.float32)  # the third joint was not detected
    data = LabelledSet("set", [{"keypoint": kp, "keypoint_score": score, "img_shape": (480, 640)}],
                       np.array([0]), ["sitting down"], 30.0)
    out = reframed(data, shift=(10.0, -60.0), scale=0.5)
    (sample,) = out.samples
    # about the image centre (320, 240): the centre stays, a joint 100 px off comes to 50 px; then moved
    assert sample["keypoint"][0, 0].tolist() == [[330.0, 180.0], [380.0, 230.0], [0.0, 0.0]]
    assert sample["img_shape"] == (480, 640) and out.name == "set@shift10,-60_scale0.5"
    assert kp[0, 0, 1].tolist() == [420.0, 340.0]  # the input is not changed
    wide = reframed(data, canvas=(1280, 720))
    assert wide.samples[0]["img_shape"] == (720, 1280) and wide.name == "set@canvas1280x720"
    assert np.array_equal(wide.samples[0]["keypoint"], kp)  # same pixels, larger frame
    assert reframed(data).name == "set"
    with pytest.raises(ValueError, match="scale"):
        reframed(data, scale=0.0)
