"""Adjacency matrices of a layout, as PYSKL's graph 'spatial' mode builds them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from action_recognition.skeleton.layout import SkeletonLayout


def edges_to_matrix(edges: Sequence[tuple[int, int]], num_joints: int) -> np.ndarray:
    """A[j, i] = 1 for each edge (i, j): column i says where joint i sends its features."""
    mat = np.zeros((num_joints, num_joints), dtype=np.float64)
    for i, j in edges:
        mat[j, i] = 1.0
    return mat


def normalize_columns(mat: np.ndarray) -> np.ndarray:
    """Divide each column by its sum (all-zero columns stay zero)."""
    sums = mat.sum(axis=0)
    scale = np.where(sums > 0, 1.0 / np.where(sums > 0, sums, 1.0), 0.0)
    return mat * scale[None, :]


def spatial_adjacency(layout: SkeletonLayout) -> np.ndarray:
    """(3, V, V) float64 stack of identity, normalised inward and normalised outward matrices.

    The network aggregates as y[..., w] = sum_v x[..., v] * A[k, v, w] (x times A, not A^T).
    """
    v = layout.num_joints
    inward = list(layout.edges)
    outward = [(j, i) for i, j in inward]
    return np.stack((
        np.eye(v, dtype=np.float64),
        normalize_columns(edges_to_matrix(inward, v)),
        normalize_columns(edges_to_matrix(outward, v)),
    ))
