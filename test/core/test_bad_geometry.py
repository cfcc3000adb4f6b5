"""Silent wrong output from bad geometry (issue 13 item 8), with the shipped default model.

- Huge finite coordinates (3e38) overflowed inside the model and published NaN scores.
- An image size of 0x0 was quietly replaced by 1920x1080; an absurd one squashed the motion, and a
  standing person came out as "walking 0.97". Now such a size is flagged (counted by the node) and
  the window is normalised by the skeleton's own extent.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from synthetic_people import held_out_people

from action_recognition.recognition import ActionRecognizer, PersonFrame, RecognizerConfig, load_action_model

torch.set_num_threads(1)
SEC = 1_000_000_000


@pytest.fixture(scope="module")
def model():
    return load_action_model(None, backend="torch")


@pytest.fixture(scope="module")
def clips(model) -> list[dict]:
    return held_out_people(model.labels, 2 * len(model.labels), seed=11, second_person_prob=0.0)


def classify(model, clip: dict, image_size: tuple[int, int], transform=None):
    """Stream the clip at 30 fps stamps with the given reported image size; the whole-clip result."""
    rec = ActionRecognizer(model.backend, model.spec, model.labels, RecognizerConfig(stride_s=3000))
    kp, sc = clip["keypoint"][0], clip["keypoint_score"][0]
    flags = []
    for f in range(len(kp)):
        coords = kp[f] if transform is None else transform(kp[f])
        stats = rec.add_frame(f * SEC // 30, [PersonFrame(1, coords, sc[f])], image_size)
        flags.append(stats.image_size_invalid)
    rec.tracks.tracks[1].frames_since_inference = 10**6
    (result,) = rec.step()
    return result, flags


def test_huge_finite_coordinates_never_give_nan(model, clips) -> None:
    clip = clips[0]
    height, width = clip["img_shape"]

    def blow_up(coords: np.ndarray) -> np.ndarray:
        out = coords.copy()
        out[[0, 5, 9]] = 3e38
        return out

    result, _ = classify(model, clip, (width, height), blow_up)
    assert np.isfinite(result.score) and np.isfinite(result.probabilities).all()
    assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-4)


def test_every_coordinate_huge_still_no_nan(model, clips) -> None:
    clip = clips[0]
    result, _ = classify(model, clip, (640, 480), lambda c: np.full_like(c, 3e38))
    assert np.isfinite(result.score) and np.isfinite(result.probabilities).all()


def test_zero_image_size_is_flagged_and_normalised_by_the_skeleton(model, clips) -> None:
    agree = 0
    for clip in clips:
        height, width = clip["img_shape"]
        truth, flags = classify(model, clip, (width, height))
        assert not any(flags)
        zero, flags = classify(model, clip, (0, 0))
        assert all(flags)  # every frame counted: the node warns and counts them
        agree += zero.label == truth.label
    assert agree >= len(clips) - 2, agree  # about what the real image size gives


@pytest.mark.parametrize("size", [(100_000, 100_000), (4_000_000_000, 3), (3, 2)])
def test_absurd_image_size_does_not_make_a_standing_person_walk(model, clips, size) -> None:
    standing = [c for c in clips if model.labels[c["label"]] == "standing still"]
    assert standing
    for clip in standing:
        height, width = clip["img_shape"]
        truth, _ = classify(model, clip, (width, height))
        absurd, flags = classify(model, clip, size)
        assert all(flags)
        assert truth.label == "standing still" and absurd.label == "standing still", absurd.label
