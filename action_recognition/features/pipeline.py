"""The PYSKL test/train pipeline as one call, for offline samples and for an online track window.

Order (as PYSKL): normalise -> streams (GenSkeFeat) -> UniformSampleFrames -> PoseDecode ->
[recentre, rescale: only for specs that ask, not PYSKL] -> FormatGCNInput.
Streams are computed on the whole sequence before sampling, so motion is the
difference of consecutive source frames.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from action_recognition.features.formatting import format_gcn_input
from action_recognition.features.normalize import DEFAULT_IMG_SHAPE, pre_normalize_2d, pre_normalize_3d
from action_recognition.features.recenter import recenter_clips
from action_recognition.features.rescale import rescale_clips
from action_recognition.features.sampling import pose_decode, uniform_sample_frames
from action_recognition.features.streams import gen_ske_feat
from action_recognition.model.spec import ModelSpec
from action_recognition.skeleton import SkeletonLayout


def sample_to_clips(sample: dict[str, Any], spec: ModelSpec, test_mode: bool = True, rng: Any = None,
                    layout: SkeletonLayout | None = None) -> np.ndarray:
    """A PYSKL-format sample -> model input (num_clips, num_person, clip_len, V, C) float32.

    sample: 'keypoint' (M, T, V, 2|3), optional 'keypoint_score' (M, T, V), optional 'img_shape'
    (h, w). Batch several samples by stacking and reshaping to (B*nc, M, T, V, C).
    """
    layout = layout or spec.skeleton()
    kp = np.asarray(sample["keypoint"], dtype=np.float32)
    score = sample.get("keypoint_score")
    img_shape = tuple(sample.get("img_shape", spec.img_shape))
    if spec.normalization == "2d":
        kp = pre_normalize_2d(kp, score, img_shape)
        score = None
    elif spec.normalization == "3d":
        kp, _ = pre_normalize_3d(kp)
    elif score is not None:
        kp = np.concatenate([kp, np.asarray(score, dtype=np.float32)[..., None]], axis=-1)
        score = None
    feats = gen_ske_feat(kp, spec.feats, layout.bone_pairs, spec.has_score)
    inds = uniform_sample_frames(feats.shape[1], spec.clip_len, spec.num_clips, test_mode=test_mode, rng=rng)
    feats, _ = pose_decode(feats, inds)
    if spec.recenter:  # on what the model sees: the sampled frames and the persons kept (extras are cut)
        feats = recenter_clips(feats[:spec.num_person], spec.num_clips, channel=3 * spec.feats.index("j"))
    if spec.rescale:  # after centring: sizes scale about the person's centre
        feats = rescale_clips(feats[:spec.num_person], spec.num_clips, spec.feats, layout.bone_pairs,
                              img_shape, bone_lengths=spec.bone_lengths)
    return format_gcn_input(feats, spec.num_person, spec.num_clips)


def track_window_to_clips(keypoints: np.ndarray, scores: np.ndarray | None, spec: ModelSpec,
                          img_shape: tuple[int, int] = DEFAULT_IMG_SHAPE,
                          layout: SkeletonLayout | None = None) -> np.ndarray:
    """One tracked person's recent frames -> (num_clips, num_person, clip_len, V, C).

    keypoints (T, V, 2) in pixels with scores (T, V) for 2D, or (T, V, 3) for 3D. The person is
    padded with zero persons up to num_person, exactly as in training (the head averages over
    persons, padded ones included), and frames are sampled in PYSKL's test mode.
    """
    kp = np.asarray(keypoints, dtype=np.float32)[None]
    sample: dict[str, Any] = {"keypoint": kp, "img_shape": img_shape}
    if scores is not None:
        sample["keypoint_score"] = np.asarray(scores, dtype=np.float32)[None]
    return sample_to_clips(sample, spec, test_mode=True, layout=layout)
