"""Rescaling: a person's size in the image taken out of the input (not in PYSKL).

PreNormalize2D divides x by half the image width and y by half its height, so the same motion reaches the
model larger or smaller with the person's distance and the camera's resolution, and squeezed or stretched
with the image's aspect. A spec with `rescale` (after `recenter`) first gives x and y the same unit (half
the image height), then scales each sampled clip so that its mean visible bone is `REFERENCE_BONE` long.
Growth inside a clip (walking towards the camera) and the body's proportions stay.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from action_recognition.features.normalize import SCORE_THRESHOLD

# Mean bone length after rescaling, in half image heights: about the median of the training data
# (synthetic 1920x1080 clips 0.18, UTD-MHAD 0.21, Bandai 0.14), so pretrained weights see familiar sizes.
REFERENCE_BONE = 0.2


def rescale_clips(feats: np.ndarray, num_clips: int, streams: Sequence[str],
                  bone_pairs: Sequence[tuple[int, int]], img_shape: tuple[int, int],
                  threshold: float = SCORE_THRESHOLD) -> np.ndarray:
    """(M, num_clips * L, V, 3 * len(streams)) sampled 2D features (x, y, score per stream; the 'j'
    stream already centred per clip) -> a copy with every stream's x, y in one unit and scaled per clip.

    The clip's size is the mean length of its bones (joint, parent) whose two ends are visible (score
    above `threshold`), measured on the 'j' stream. A clip without such a bone keeps its size.
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
    pairs = np.array([(a, b) for a, b in bone_pairs if a != b and a < v and b < v], dtype=np.int64)
    if not len(pairs):
        return out
    visible = clips[..., j + 2] > threshold  # (M, nc, L, V)
    both = visible[..., pairs[:, 0]] & visible[..., pairs[:, 1]]  # (M, nc, L, P)
    length = np.linalg.norm(clips[..., pairs[:, 0], j:j + 2] - clips[..., pairs[:, 1], j:j + 2], axis=-1)
    for k in range(num_clips):
        seen = both[:, k]
        size = float(length[:, k][seen].mean()) if seen.any() else 0.0
        if size > 1e-6:
            factor = REFERENCE_BONE / size
            clips[:, k, ..., 0::3] *= factor
            clips[:, k, ..., 1::3] *= factor
    return out
