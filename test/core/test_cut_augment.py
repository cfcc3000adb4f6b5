"""data.cut: training draws whose lower part a frame edge hides (a person close to the camera, or behind a
desk), so the model does not lean on joints a robot's camera often misses."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from augment_testdata import draws_with_and_without, eval_clip_untouched, person_sitting

from action_recognition.model import ModelSpec
from action_recognition.training.augment import cut_below
from action_recognition.training.config import ConfigError, load_config

torch.set_num_threads(1)


def test_joints_below_one_image_line_are_hidden_and_the_rest_kept() -> None:
    sample = person_sitting()
    before = sample["keypoint"].copy()
    out = cut_below(sample, np.random.default_rng(0), keep=(0.7, 0.7))
    line = 140 + 0.7 * (460 - 140)  # 70 % down the extent over all frames (the feet end at 400 + 60)
    kp, score = out["keypoint"], out["keypoint_score"]
    hidden = before[..., 1] > line
    assert hidden.any() and (~hidden).any()
    assert np.all(kp[hidden] == 0) and np.all(score[hidden] == 0)
    assert np.array_equal(kp[~hidden], before[~hidden]) and np.all(score[~hidden] == 0.9)
    # the line stays put while the person sinks: more joints are hidden at the end than at the start
    assert hidden[0, -1].sum() > hidden[0, 0].sum()
    assert np.array_equal(sample["keypoint"], before)  # the input is not changed
    nobody = {**sample, "keypoint": np.zeros_like(before)}
    assert np.array_equal(cut_below(nobody, np.random.default_rng(0))["keypoint"], nobody["keypoint"])


def test_cut_hides_that_share_of_training_draws_only() -> None:
    spec = ModelSpec(layout="coco", num_classes=2, clip_len=16, num_person=1)
    sample = person_sitting()
    _, cut, changed = draws_with_and_without(sample, spec, cut=0.5)
    assert 10 <= sum(changed) <= 30  # about half; the others are exactly the draws without it
    missing = [float((cut[i][0][..., 2] == 0).float().mean()) for i in range(40) if changed[i]]
    assert min(missing) > 0  # the changed draws lost joints
    assert eval_clip_untouched(sample, spec, cut=1.0)


def test_config_rejects_a_cut_share_outside_0_1() -> None:
    assert load_config(None, ["data.file=x.pkl", "data.cut=0.3"]).data.cut == 0.3
    with pytest.raises(ConfigError, match=r"data\.cut.*\[0, 1\]"):
        load_config(None, ["data.file=x.pkl", "data.cut=-0.1"])
