"""Training draws moved anywhere in the image (`data.placement`): where a person stands in the frame is
part of the model's input (coordinates are normalised by the image), so training must not see everyone
in the middle of the picture."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from augment_testdata import IMG, draws_with_and_without, eval_clip_untouched, person_sitting

from action_recognition.model import ModelSpec
from action_recognition.training.augment import PlacementConfig, replace_in_image
from action_recognition.training.config import ConfigError, load_config

torch.set_num_threads(1)


def box(kp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    valid = np.abs(kp).sum(-1) > 0
    return kp[valid].min(0), kp[valid].max(0)


def test_a_moved_sequence_keeps_its_motion_and_stays_inside_the_image() -> None:
    sample = person_sitting(missed=True)
    before = sample["keypoint"].copy()
    lo0, hi0 = box(before)
    tops = []
    for seed in range(200):
        moved = replace_in_image(sample, np.random.default_rng(seed))["keypoint"]
        lo, hi = box(moved)
        assert np.all(lo >= 0) and hi[0] <= IMG[1] and hi[1] <= IMG[0]
        missing = np.abs(before).sum(-1) == 0
        assert np.all(moved[missing] == 0) and np.all(np.abs(moved[~missing]).sum(-1) > 0)
        # one scale and one offset for every joint and frame: the motion is the same, only framed anew
        s = (hi - lo)[1] / (hi0 - lo0)[1]
        assert 0.6 - 1e-4 <= s <= 1.4 + 1e-4
        np.testing.assert_allclose(moved[~missing], (before[~missing] - lo0) * s + lo, atol=1e-3)
        tops.append(lo[1] / (IMG[0] - (hi - lo)[1]))
    assert np.array_equal(sample["keypoint"], before)  # the input is left alone
    # placed across the whole free room, top to bottom, not only near where it was filmed
    assert min(tops) < 0.05 and max(tops) > 0.95


def test_a_sequence_too_big_to_grow_is_shrunk_to_fit() -> None:
    sample = person_sitting(missed=True)
    sample["keypoint"][..., 1] = sample["keypoint"][..., 1] * 1.5 - 150  # spans about 470 of 480 px
    sample["keypoint"][0, 10:12, 4] = 0.0
    for seed in range(50):
        lo, hi = box(replace_in_image(sample, np.random.default_rng(seed),
                                      PlacementConfig(scale=(1.2, 1.4)))["keypoint"])
        assert hi[1] - lo[1] <= 0.98 * IMG[0] + 1e-3 and lo[1] >= 0


def test_placement_moves_that_share_of_training_draws_only() -> None:
    spec = ModelSpec(layout="coco", num_classes=2, clip_len=16, num_person=1)
    sample = person_sitting(missed=True)
    _, _, moved = draws_with_and_without(sample, spec, placement=0.5)
    assert 10 <= sum(moved) <= 30  # about half of the draws; the others are exactly the draws without it
    # evaluation clips are never moved: held-out people are measured as filmed
    assert eval_clip_untouched(sample, spec, placement=1.0)


def test_config_rejects_a_placement_share_outside_0_1() -> None:
    assert load_config(None, ["data.file=x.pkl", "data.placement=0.5"]).data.placement == 0.5
    with pytest.raises(ConfigError, match=r"data\.placement.*\[0, 1\]"):
        load_config(None, ["data.file=x.pkl", "data.placement=1.5"])


def test_a_fixed_scale_only_moves_the_sequence() -> None:
    sample = person_sitting(missed=True)
    lo0, hi0 = box(sample["keypoint"])
    spans, tops = [], []
    for seed in range(100):
        lo, hi = box(replace_in_image(sample, np.random.default_rng(seed), PlacementConfig(scale=(1.0, 1.0)))
                     ["keypoint"])
        spans.append(hi - lo)
        tops.append(lo[1])
    np.testing.assert_allclose(np.array(spans), np.broadcast_to(hi0 - lo0, (100, 2)), atol=1e-3)
    assert max(tops) - min(tops) > 0.8 * (IMG[0] - (hi0 - lo0)[1])


def test_config_reads_and_checks_the_placement_size_range() -> None:
    cfg = load_config(None, ["data.file=x.pkl", "data.placement=0.5", "data.placement_scale=[1.0, 1.0]"])
    assert cfg.data.placement_scale == [1.0, 1.0]
    with pytest.raises(ConfigError, match=r"data\.placement_scale"):
        load_config(None, ["data.file=x.pkl", "data.placement_scale=[1.2, 0.8]"])
