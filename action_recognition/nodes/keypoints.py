"""Skeleton message keypoints -> numpy, without OpenCV or image code (the action node imports only this).

Kept apart from `convert.py` (images, which loads OpenCV: about 37 MB of resident memory the action
node does not need).
"""

from __future__ import annotations

from itertools import chain
from operator import attrgetter

import numpy as np

from action_recognition.msg import Skeleton

_KEYPOINT_FIELDS = attrgetter("x", "y", "z", "score")


def keypoint_rows(skeleton: Skeleton) -> np.ndarray:
    """A Skeleton's keypoints as (V, 4) float32 x, y, z, score.

    map/attrgetter/fromiter iterate in C: no Python bytecode per keypoint (1.6x faster than a list of
    tuples; `benchmarks/bench_action_node.py` times it).
    """
    kps = skeleton.keypoints
    flat = np.fromiter(chain.from_iterable(map(_KEYPOINT_FIELDS, kps)), np.float32, 4 * len(kps))
    return flat.reshape(len(kps), 4)
