"""Online recognition with real ST-GCN++ forward passes (random weights: behaviour, not accuracy)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from action_recognition.features.pipeline import sample_to_clips
from action_recognition.model import ModelSpec, TorchBackend, build_model
from action_recognition.recognition import UNKNOWN_LABEL, ActionRecognizer, PersonFrame, RecognizerConfig

torch.set_num_threads(1)
LABELS = ["a", "b", "c", "d"]
SPEC = ModelSpec(layout="coco", num_classes=4, class_names=LABELS, clip_len=16, num_person=2)
SEC = 1_000_000_000


def frames_config(window: int = 0, min_frames: int = 0, stride: int = 5, **rest) -> RecognizerConfig:
    """Settings in frames of a 30 fps stream (the spec's rate), as seconds."""
    return RecognizerConfig(window_s=window / 30, min_window_s=min_frames / 30, stride_s=stride / 30, **rest)


class CountingBackend(TorchBackend):
    """A real backend that records the batches it is given."""

    def __init__(self, spec: ModelSpec) -> None:
        torch.manual_seed(0)
        super().__init__(build_model(spec), spec)
        self.batches: list[np.ndarray] = []

    def predict(self, x: np.ndarray) -> np.ndarray:
        self.batches.append(x.copy())
        return super().predict(x)


@pytest.fixture(scope="module")
def backend() -> CountingBackend:
    return CountingBackend(SPEC)


def motion(track_id: int, frame: int, offset: float = 0.0) -> PersonFrame:
    rng = np.random.default_rng(track_id * 1000 + frame)
    coords = (100 + 20 * track_id + offset + rng.normal(0, 5, (17, 2))).astype(np.float32)
    return PersonFrame(track_id, coords, rng.uniform(0.3, 1.0, 17).astype(np.float32))


def run(rec: ActionRecognizer, frames: int, ids: list[int], start: int = 0) -> list[list]:
    out = []
    for f in range(start, start + frames):
        rec.add_frame(f * SEC // 30, [motion(i, f) for i in ids], (640, 480))
        out.append(rec.step())
    return out


def test_all_due_tracks_go_through_one_forward_and_match_single_track_results(backend) -> None:
    config = frames_config(window=16, min_frames=16, stride=16)
    rec = ActionRecognizer(backend, SPEC, LABELS, config)
    backend.batches.clear()  # (construction ran one forward: the zero person's logits)
    rounds = run(rec, 16, [1, 2, 3, 4, 5])
    assert [len(r) for r in rounds] == [0] * 15 + [5]
    assert len(backend.batches) == 1 and backend.batches[0].shape == (5, 1, 16, 17, 3)
    batched = {r.track_id: r for r in rounds[-1]}
    for tid in [1, 2, 3, 4, 5]:
        single = ActionRecognizer(backend, SPEC, LABELS, config)
        (alone,) = run(single, 16, [tid])[-1]
        np.testing.assert_allclose(alone.probabilities, batched[tid].probabilities, atol=1e-5)
    first = batched[1]
    assert first.num_frames == 16 and first.window_start_ns == 0 and first.window_end_ns == 15 * SEC // 30
    assert abs(float(first.probabilities.sum()) - 1.0) < 1e-5
    assert first.label == LABELS[first.class_id] and first.score == pytest.approx(first.probabilities.max())


def test_stride_sets_how_often_a_track_is_labelled(backend) -> None:
    rec = ActionRecognizer(backend, SPEC, LABELS, frames_config(window=16, min_frames=4, stride=3))
    rounds = run(rec, 13, [1])
    labelled = [i for i, r in enumerate(rounds) if r]
    assert labelled == [3, 6, 9, 12]  # first at 4 frames, then every 3 new frames


def test_max_batch_splits_a_crowd_into_several_forwards(backend) -> None:
    rec = ActionRecognizer(
        backend, SPEC, LABELS, frames_config(window=8, min_frames=8, stride=8, max_batch=4)
    )
    backend.batches.clear()
    rounds = run(rec, 8, list(range(10)))
    assert len(rounds[-1]) == 10
    assert [b.shape[0] for b in backend.batches] == [4, 4, 2]


def test_threshold_reports_unknown(backend) -> None:
    rec = ActionRecognizer(
        backend, SPEC, LABELS, frames_config(window=8, min_frames=8, score_threshold=1.01)
    )
    (result,) = run(rec, 8, [1])[-1]
    assert result.label == UNKNOWN_LABEL and result.class_id == -1
    assert 0.25 <= result.score <= 1.0  # the top probability is still reported


def test_smoothing_is_an_exponential_moving_average(backend) -> None:
    raw = ActionRecognizer(backend, SPEC, LABELS, frames_config(window=8, min_frames=8, stride=4))
    smooth = ActionRecognizer(
        backend, SPEC, LABELS, frames_config(window=8, min_frames=8, stride=4, smoothing=0.75)
    )
    raw_probs = [r[0].probabilities for r in run(raw, 16, [1]) if r]
    smooth_probs = [r[0].probabilities for r in run(smooth, 16, [1]) if r]
    assert len(raw_probs) == len(smooth_probs) == 3
    np.testing.assert_allclose(smooth_probs[0], raw_probs[0], atol=1e-6)
    expected = 0.75 * raw_probs[0] + 0.25 * raw_probs[1]
    np.testing.assert_allclose(smooth_probs[1], expected, atol=1e-6)


def test_short_window_is_looped_not_zero_padded(backend) -> None:
    rec = ActionRecognizer(backend, SPEC, LABELS, frames_config(window=16, min_frames=5, stride=5))
    backend.batches.clear()
    run(rec, 5, [1])
    (x,) = backend.batches
    person0 = x[0, 0]  # (T=16, V, C) from only 5 frames
    assert (np.abs(person0).sum(axis=(1, 2)) > 0).all()  # every sampled frame holds the person


def test_padded_persons_are_not_computed_yet_give_the_padded_result(backend) -> None:
    # The model was trained with num_person 2 (a zero person beside a lone one); the recognizer feeds
    # only the real person and adds the zero person's constant share: same probabilities.
    rec = ActionRecognizer(backend, SPEC, LABELS, frames_config(window=16, min_frames=16, stride=16))
    backend.batches.clear()
    (results,) = [r for r in run(rec, 16, [1, 2, 3]) if r]
    assert backend.batches[0].shape[1] == 1  # one person per sample went through the network
    for r in results:
        _, coords, scores = rec.tracks.tracks[r.track_id].arrays()
        sample = {"keypoint": coords[None], "keypoint_score": scores[None], "img_shape": (480, 640)}
        padded = sample_to_clips(sample, SPEC)  # (1, 2, T, V, C) with a zero second person
        assert padded.shape[1] == 2 and (padded[:, 1] == 0).all()
        logits = TorchBackend.predict(backend, padded)  # the plain padded forward, not recorded
        expected = np.exp(logits[0] - logits[0].max())
        np.testing.assert_allclose(r.probabilities, expected / expected.sum(), atol=1e-5)


def test_two_person_samples_use_the_nearest_other_person(backend) -> None:
    backend.batches.clear()
    config = frames_config(window=8, min_frames=8, stride=8, persons_per_sample=2)
    rec = ActionRecognizer(backend, SPEC, LABELS, config)
    frames = []
    for f in range(8):
        people = [motion(1, f), motion(2, f, offset=5.0), motion(3, f, offset=400.0)]
        frames.append(people)
        rec.add_frame(f * SEC // 30, people, (640, 480))
    results = rec.step()
    assert len(results) == 3
    x = backend.batches[-1][0]  # track 1's sample
    kp = np.stack([np.stack([p.coords for p in fr[:2]]) for fr in frames], axis=1)  # (2, T, V, 2)
    sc = np.stack([np.stack([p.scores for p in fr[:2]]) for fr in frames], axis=1)
    expected = sample_to_clips({"keypoint": kp, "keypoint_score": sc, "img_shape": (480, 640)}, SPEC)[0]
    np.testing.assert_allclose(x, expected, atol=1e-6)  # partner = track 2 (nearest), not track 3


def test_label_count_must_match_the_model(backend) -> None:
    with pytest.raises(ValueError, match="3 labels for a model of 4 classes"):
        ActionRecognizer(backend, SPEC, LABELS[:3])


def test_window_defaults_to_the_models_window_then_its_clip_length(backend) -> None:
    with_window = ModelSpec(layout="coco", num_classes=4, class_names=LABELS, clip_len=16, window=40)
    assert ActionRecognizer(backend, with_window, LABELS).config.window == 40
    assert ActionRecognizer(backend, with_window, LABELS).config.min_frames == 20
    assert ActionRecognizer(backend, SPEC, LABELS).config.window == 16
    assert ActionRecognizer(backend, with_window, LABELS, frames_config(window=8)).config.window == 8
    at_25 = ModelSpec(layout="coco", num_classes=4, class_names=LABELS, clip_len=16, window=50, fps=25)
    config = ActionRecognizer(backend, at_25, LABELS, RecognizerConfig(stride_s=0.2)).config
    assert (config.window, config.min_frames, config.stride, config.fps) == (50, 25, 5, 25.0)  # 2, 1, 0.2 s
