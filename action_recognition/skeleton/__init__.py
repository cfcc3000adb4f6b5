"""Skeleton layouts as data: joints, graph edges, center joint, bone pairs, adjacency."""

from action_recognition.skeleton.graph import edges_to_matrix, normalize_columns, spatial_adjacency
from action_recognition.skeleton.layout import (
    LayoutError,
    SkeletonLayout,
    derive_bone_pairs,
    validate_layout,
)
from action_recognition.skeleton.loading import (
    BUILTIN_LAYOUTS,
    get_layout,
    graph_center,
    layout_from_dict,
    layout_from_edge_list,
    layouts_dir,
    load_layout_file,
)

__all__ = [
    "BUILTIN_LAYOUTS",
    "LayoutError",
    "SkeletonLayout",
    "derive_bone_pairs",
    "edges_to_matrix",
    "get_layout",
    "graph_center",
    "layout_from_dict",
    "layout_from_edge_list",
    "layouts_dir",
    "load_layout_file",
    "normalize_columns",
    "spatial_adjacency",
    "validate_layout",
]
