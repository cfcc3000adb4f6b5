"""Rescaling: a person's size in the image taken out of the input (not in PYSKL).

PreNormalize2D divides x by half the image width and y by half its height, so the same motion reaches the
model larger or smaller with the person's distance and the camera's resolution, and squeezed or stretched
with the image's aspect. A spec with `rescale` (after `recenter`) first gives x and y the same unit (half
the image height), then scales each sampled clip so that its mean visible bone is `REFERENCE_BONE` long.
Growth inside a clip (walking towards the camera) and the body's proportions stay.

A person only partly in view (cut by the frame's edge, or close to a robot) has mostly short bones in
view: the plain mean then takes them for a small person and blows the clip up (upper body only: 1.7x on
real motion). With `bone_lengths` (each bone's typical length relative to the mean bone, measured on the
training data by `bone_proportions`), the size is the visible bones' total length over what the same
bones measure on a typical body, which is the whole body's mean bone whatever part is seen; with all
bones in view it equals the plain mean.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from action_recognition.features.normalize import SCORE_THRESHOLD

# Mean bone length after rescaling, in half image heights: about the median of the training data
# (synthetic 1920x1080 clips 0.18, UTD-MHAD 0.21, Bandai 0.14), so pretrained weights see familiar sizes.
REFERENCE_BONE = 0.2


def _bones(bone_pairs: Sequence[tuple[int, int]], num_joints: int) -> np.ndarray:
    """Indices k of the real bones: bone_pairs[k] joins two different joints inside the skeleton."""
    inside = [k for k, (a, b) in enumerate(bone_pairs) if a != b and a < num_joints and b < num_joints]
    return np.array(inside, dtype=np.int64)


def bone_proportions(samples: Iterable[dict], bone_pairs: Sequence[tuple[int, int]],
                     threshold: float = SCORE_THRESHOLD) -> tuple[float, ...]:
    """Each bone's typical length relative to the body's mean bone, one value per `bone_pairs` entry
    (0.0 for a joint paired with itself), for `ModelSpec.bone_lengths`.

    Per person: each bone's mean length over the frames where every bone is in view, over the mean of
    all of them; then the median over people, scaled so that the bones average 1. All 1 when no person
    is ever wholly in view. 'keypoint' (M, T, V, C) with optional 'keypoint_score' (M, T, V).
    """
    ratios = []
    bones = np.zeros(0, dtype=np.int64)
    for sample in samples:
        kp = np.asarray(sample["keypoint"], dtype=np.float32)
        score = sample.get("keypoint_score")
        bones = _bones(bone_pairs, kp.shape[2])
        pairs = np.array(bone_pairs, dtype=np.int64)[bones]
        for m in range(kp.shape[0]):
            length = np.linalg.norm(kp[m][:, pairs[:, 0]] - kp[m][:, pairs[:, 1]], axis=-1)  # (T, P)
            whole = (np.isfinite(length) & (length > 0)).all(1)
            if score is not None:
                seen = np.asarray(score[m]) > threshold
                whole &= (seen[:, pairs[:, 0]] & seen[:, pairs[:, 1]]).all(1)
            if whole.any():
                per_bone = length[whole].mean(0)
                ratios.append(per_bone / per_bone.mean())
    out = np.zeros(len(bone_pairs), dtype=np.float64)
    out[bones] = np.median(np.stack(ratios), axis=0) if ratios else 1.0
    out[bones] /= out[bones].mean() if len(bones) else 1.0
    return tuple(round(float(x), 4) for x in out)


def rescale_clips(feats: np.ndarray, num_clips: int, streams: Sequence[str],
                  bone_pairs: Sequence[tuple[int, int]], img_shape: tuple[int, int],
                  threshold: float = SCORE_THRESHOLD,
                  bone_lengths: Sequence[float] | None = None) -> np.ndarray:
    """(M, num_clips * L, V, 3 * len(streams)) sampled 2D features (x, y, score per stream; the 'j'
    stream already centred per clip) -> a copy with every stream's x, y in one unit and scaled per clip.

    The clip's size is the mean length of its bones (joint, parent) whose two ends are visible (score
    above `threshold`), measured on the 'j' stream. With `bone_lengths` (one per bone pair, as
    `bone_proportions` gives) it is the visible bones' summed length over their summed typical lengths,
    i.e. the mean bone of the whole body. A clip without a visible bone keeps its size.
    """
    out = np.array(feats, dtype=np.float32)
    m, t, v, c = out.shape
    if "j" not in streams or c != 3 * len(streams) or t % num_clips:
        raise ValueError(f"rescale_clips: needs (x, y, score) for each of {list(streams)}, 'j' among "
                         f"them, and {t} frames that split into {num_clips} clips; got {c} channels")
    h, w = img_shape
    out[..., 0::3] *= w / h  # x in half image heights, as y
    clips = out.reshape(m, num_clips, t // num_clips, v, c)  # a view: edits land in `out`
    j = 3 * list(streams).index("j")
    bones = _bones(bone_pairs, v)
    if not len(bones):
        return out
    pairs = np.array(bone_pairs, dtype=np.int64)[bones]
    if bone_lengths is None:
        typical = np.ones(len(bones), dtype=np.float32)
    else:
        if len(bone_lengths) != len(bone_pairs):
            raise ValueError(f"rescale_clips: {len(bone_lengths)} bone lengths for "
                             f"{len(bone_pairs)} bone pairs")
        typical = np.asarray(bone_lengths, dtype=np.float32)[bones]
        typical = typical / typical.mean()
    visible = clips[..., j + 2] > threshold  # (M, nc, L, V)
    both = visible[..., pairs[:, 0]] & visible[..., pairs[:, 1]]  # (M, nc, L, P)
    length = np.linalg.norm(clips[..., pairs[:, 0], j:j + 2] - clips[..., pairs[:, 1], j:j + 2], axis=-1)
    for k in range(num_clips):
        seen = both[:, k]
        expected = float(np.broadcast_to(typical, seen.shape)[seen].sum())
        size = float(length[:, k][seen].sum()) / expected if expected > 0 else 0.0
        if size > 1e-6:
            factor = REFERENCE_BONE / size
            clips[:, k, ..., 0::3] *= factor
            clips[:, k, ..., 1::3] *= factor
    return out
