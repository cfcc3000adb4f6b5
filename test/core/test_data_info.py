"""`data info` statistics and skeleton strips; the `data synth` / `data info` command line end to end."""

from __future__ import annotations

import numpy as np

from action_recognition.cli.main import main
from action_recognition.data.format import load_dataset
from action_recognition.data.info import dataset_stats, draw_strips, format_stats
from action_recognition.data.synth.generator import SynthConfig, generate_dataset


def test_stats_count_classes_per_split():
    data = generate_dataset(
        SynthConfig(classes=("walking", "falling", "clapping")), {"train": 9, "val": 3}, seed=0
    )
    stats = dataset_stats(data)
    assert stats["splits"]["train"] == {"walking": 3, "falling": 3, "clapping": 3}
    assert sum(stats["splits"]["val"].values()) == 3
    frames = [a["total_frames"] for a in data["annotations"]]
    assert stats["frames"]["min"] == min(frames) and stats["frames"]["max"] == max(frames)
    assert stats["keypoint_shape"] == [17, 2] and stats["layout"] == "coco"
    assert 0.3 < stats["scores"]["mean_detected"] < 1.0
    text = format_stats(stats)
    assert "falling" in text and "samples: 12" in text


def test_strips_png_is_written(tmp_path):
    data = generate_dataset(SynthConfig(classes=("walking", "jump up")), {"train": 2}, seed=0)
    png = draw_strips(data, tmp_path / "s.png", num_samples=2, num_frames=3)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_synth_then_info(tmp_path, capsys):
    out = tmp_path / "sit.pkl"
    rc = main(
        [
            "data",
            "synth",
            "--classes",
            "sit_stand",
            "--num",
            "10",
            "--test-frac",
            "0.2",
            "--val-frac",
            "0",
            "--seed",
            "4",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert rc == 0
    data = load_dataset(out)
    assert data["classes"] == ["sitting down", "standing up (from sitting position)"]
    assert {k: len(v) for k, v in data["split"].items()} == {"train": 8, "test": 2}
    assert out.with_suffix(".labels.txt").read_text().splitlines() == data["classes"]
    again = tmp_path / "again.pkl"
    main(
        [
            "data",
            "synth",
            "--classes",
            "sit_stand",
            "--num",
            "10",
            "--test-frac",
            "0.2",
            "--val-frac",
            "0",
            "--seed",
            "4",
            "--out",
            str(again),
            "--quiet",
        ]
    )
    np.testing.assert_array_equal(
        load_dataset(again)["annotations"][3]["keypoint"], data["annotations"][3]["keypoint"]
    )
    wide = tmp_path / "wide.pkl"
    args = ["data", "synth", "--classes", "sit_stand", "--num", "10", "--test-frac", "0.2", "--val-frac", "0",
            "--seed", "4", "--out", str(wide), "--quiet", "--train-cameras", "all"]
    assert main(args) == 0
    wide_data = load_dataset(wide)
    assert wide_data["generator"]["train_cameras"] == "all"
    by_name = {a["frame_dir"]: a["keypoint"] for a in data["annotations"]}
    changed = [not np.array_equal(a["keypoint"], by_name[a["frame_dir"]]) for a in wide_data["annotations"]]
    test_names = set(data["split"]["test"])
    assert changed == [a["frame_dir"] not in test_names for a in wide_data["annotations"]]
    capsys.readouterr()
    png = tmp_path / "strips.png"
    assert main(["data", "info", str(out), "--png", str(png), "--samples", "2", "--frames", "3"]) == 0
    printed = capsys.readouterr().out
    assert "sitting down" in printed and "samples: 10" in printed
    assert png.exists()


def test_cli_rejects_unknown_class_and_bad_file(tmp_path, capsys):
    assert (
        main(
            ["data", "synth", "--classes", "walking,moonwalk", "--num", "4", "--out", str(tmp_path / "x.pkl")]
        )
        == 2
    )
    assert "moonwalk" in capsys.readouterr().err
    bad_cameras = ["data", "synth", "--num", "4", "--train-cameras", "most", "--out", str(tmp_path / "y.pkl")]
    assert main(bad_cameras) == 2
    assert "train_cameras 'most': choose from ('disjoint', 'all')" in capsys.readouterr().err
    (tmp_path / "bad.pkl").write_bytes(b"nope")
    assert main(["data", "info", str(tmp_path / "bad.pkl")]) == 1
