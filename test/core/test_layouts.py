"""Skeleton layouts: built-ins equal PYSKL's graphs, custom files load, bad files fail clearly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from action_recognition.skeleton import (
    BUILTIN_LAYOUTS,
    LayoutError,
    get_layout,
    layout_from_dict,
    spatial_adjacency,
)

# PYSKL's graph facts (pyskl/utils/graph.py, JointToBone), written out as data for comparison.
NTU_NEIGHBOR_1BASED = [(1, 2), (2, 21), (3, 21), (4, 3), (5, 21), (6, 5), (7, 6), (8, 7), (9, 21), (10, 9),
                       (11, 10), (12, 11), (13, 1), (14, 13), (15, 14), (16, 15), (17, 1), (18, 17), (19, 18),
                       (20, 19), (22, 8), (23, 8), (24, 12), (25, 12)]
COCO_INWARD = [(15, 13), (13, 11), (16, 14), (14, 12), (11, 5), (12, 6), (9, 7), (7, 5), (10, 8), (8, 6),
               (5, 0), (6, 0), (1, 0), (3, 1), (2, 0), (4, 2)]
OPENPOSE_INWARD = [(4, 3), (3, 2), (7, 6), (6, 5), (13, 12), (12, 11), (10, 9), (9, 8), (11, 5), (8, 2),
                   (5, 1), (2, 1), (0, 1), (15, 0), (14, 0), (17, 15), (16, 14)]
NTU_BONES = [(0, 1), (1, 20), (2, 20), (3, 2), (4, 20), (5, 4), (6, 5), (7, 6), (8, 20), (9, 8), (10, 9),
             (11, 10), (12, 0), (13, 12), (14, 13), (15, 14), (16, 0), (17, 16), (18, 17), (19, 18), (21, 22),
             (20, 20), (22, 7), (23, 24), (24, 11)]
COCO_BONES = [(0, 0), (1, 0), (2, 0), (3, 1), (4, 2), (5, 0), (6, 0), (7, 5), (8, 6), (9, 7), (10, 8),
              (11, 0), (12, 0), (13, 11), (14, 12), (15, 13), (16, 14)]
OPENPOSE_BONES = [(0, 0), (1, 0), (2, 1), (3, 2), (4, 3), (5, 1), (6, 5), (7, 6), (8, 2), (9, 8), (10, 9),
                  (11, 5), (12, 11), (13, 12), (14, 0), (15, 0), (16, 14), (17, 15)]
COCO_ORDER = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
              "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
              "right_knee", "left_ankle", "right_ankle"]

BUILTIN_FACTS = {
    "nturgb+d": (25, [(i - 1, j - 1) for i, j in NTU_NEIGHBOR_1BASED], 20, NTU_BONES),
    "coco": (17, COCO_INWARD, 0, COCO_BONES),
    "openpose": (18, OPENPOSE_INWARD, 1, OPENPOSE_BONES),
}


@pytest.mark.parametrize("name", BUILTIN_LAYOUTS)
def test_builtin_layout_matches_pyskl(name):
    num, edges, center, bones = BUILTIN_FACTS[name]
    layout = get_layout(name)
    assert layout.name == name
    assert layout.num_joints == num
    assert list(layout.edges) == edges
    assert layout.center == center
    assert list(layout.bone_pairs) == bones
    assert len(set(layout.joint_names)) == num


def test_joint_names_follow_pyskl_order():
    assert list(get_layout("coco").joint_names) == COCO_ORDER
    ntu = get_layout("nturgb+d").joint_names
    assert ntu[0] == "base_of_spine" and ntu[20] == "spine_shoulder" and ntu[3] == "head"
    op = get_layout("openpose").joint_names
    assert op[0] == "nose" and op[1] == "neck" and op[2] == "right_shoulder" and op[17] == "left_ear"


def test_coco_bones_differ_from_graph_for_hips():
    coco = get_layout("coco")
    assert (11, 0) in coco.bone_pairs and (12, 0) in coco.bone_pairs
    assert (11, 5) in coco.edges and (11, 0) not in coco.edges


def _adjacency_by_definition(num, edges):
    """Independent construction: A[j, i] = 1 per inward edge (i, j), columns divided by their sums."""
    def normalised(pairs):
        mat = np.zeros((num, num))
        for i, j in pairs:
            mat[j, i] = 1
        for col in range(num):
            total = mat[:, col].sum()
            if total:
                mat[:, col] /= total
        return mat
    return np.stack([np.eye(num), normalised(edges), normalised([(j, i) for i, j in edges])])


@pytest.mark.parametrize("name", BUILTIN_LAYOUTS)
def test_spatial_adjacency_is_pyskl_spatial_mode(name):
    num, edges, _, _ = BUILTIN_FACTS[name]
    adj = spatial_adjacency(get_layout(name))
    assert adj.shape == (3, num, num)
    np.testing.assert_allclose(adj, _adjacency_by_definition(num, edges), atol=0)
    # every non-empty column of In/Out sums to one
    for k in (1, 2):
        sums = adj[k].sum(axis=0)
        np.testing.assert_allclose(sums[sums > 0], 1.0)


def test_spatial_adjacency_small_hand_example():
    # chain 0 <- 1 <- 2 (inward edges (1, 0), (2, 1)), plus 3 -> 1
    layout = layout_from_dict({"name": "t", "joints": ["a", "b", "c", "d"],
                               "edges": [[1, 0], [2, 1], [3, 1]], "center": 0})
    adj = spatial_adjacency(layout)
    inward = np.zeros((4, 4))
    inward[0, 1] = 1.0  # column 1 (joint b) sends to a
    inward[1, 2] = 1.0
    inward[1, 3] = 1.0
    np.testing.assert_array_equal(adj[1], inward)
    outward = np.zeros((4, 4))
    outward[1, 0] = 1.0  # column 0 (a) has one outward edge, to b
    outward[2, 1] = 0.5  # column 1 (b) has two outward edges: to c and d
    outward[3, 1] = 0.5
    np.testing.assert_array_equal(adj[2], outward)


def test_yaml_layout_file_with_names_and_derived_bones(tmp_path):
    path = tmp_path / "arm.yaml"
    path.write_text(
        "name: arm\njoints: [shoulder, elbow, wrist, hand]\ncenter: shoulder\n"
        "edges:\n  - [elbow, shoulder]\n  - [wrist, elbow]\n  - [hand, wrist]\n")
    layout = get_layout(path)
    assert layout.name == "arm"
    assert layout.edges == ((1, 0), (2, 1), (3, 2))
    assert layout.bone_pairs == ((0, 0), (1, 0), (2, 1), (3, 2))
    assert get_layout(str(path)) == layout


def test_yaml_layout_one_based_indices(tmp_path):
    path = tmp_path / "tri.yml"
    path.write_text("joints: 3\nindex_base: 1\ncenter: 1\nedges: [[2, 1], [3, 1]]\n")
    layout = get_layout(path)
    assert layout.edges == ((1, 0), (2, 0))
    assert layout.joint_names == ("joint_1", "joint_2", "joint_3")
    assert layout.center == 0


def test_builtin_file_round_trips_through_yaml(tmp_path):
    import yaml

    coco = get_layout("coco")
    copy = tmp_path / "my_coco.yaml"
    copy.write_text(yaml.safe_dump(coco.to_dict()))
    assert get_layout(copy) == coco


def test_edge_list_json_ntu(tmp_path):
    path = tmp_path / "ntu_edges.json"
    path.write_text(json.dumps([list(p) for p in NTU_NEIGHBOR_1BASED]))
    layout = get_layout(path)
    ntu = get_layout("nturgb+d")
    assert layout.num_joints == 25
    assert layout.edges == ntu.edges
    assert layout.center == ntu.center  # spine_shoulder picked as the graph center
    np.testing.assert_array_equal(spatial_adjacency(layout), spatial_adjacency(ntu))
    # derived bones follow the edges (PYSKL's hand-tip bones differ; use the built-in for those)
    assert dict(layout.bone_pairs)[21] == 7


def test_edge_list_centers_of_other_builtins(tmp_path):
    for name in ("coco", "openpose"):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps([[i + 1, j + 1] for i, j in get_layout(name).edges]))
        assert get_layout(path).center == get_layout(name).center


def _write(tmp_path, text, suffix=".yaml"):
    path = tmp_path / f"bad{suffix}"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("text", "needles"), [
    ("joints: [a, b, c]\ncenter: a\nedges: [[1, 0], [2, 5]]\n", ["edges[1]", "out of range", "5"]),
    ("joints: [a, b, c]\ncenter: a\nedges: [[1, 0], [2, 2]]\n", ["edges[1]", "self loop"]),
    ("joints: [a, b, c]\ncenter: a\nedges: [[1, 0], [2, 1], [0, 1]]\n", ["edges[2]", "duplicates edges[0]"]),
    ("joints: [a, b, c, d]\ncenter: a\nedges: [[1, 0], [3, 2]]\n", ["disconnected", "'c'", "'d'"]),
    ("joints: [a, b, c]\nedges: [[1, 0], [2, 1]]\n", ["'center'", "missing"]),
    ("joints: [a, b, c]\ncenter: z\nedges: [[1, 0], [2, 1]]\n", ["'center'", "'z'"]),
    ("joints: [a, b, c]\ncenter: 7\nedges: [[1, 0], [2, 1]]\n", ["'center'", "0..2"]),
    ("joints: [a, b, c]\ncenter: a\nedges: [[b, a], [c, x]]\n", ["edges[1]", "'x'"]),
    ("joints: [a, b, a]\ncenter: a\nedges: [[1, 0], [2, 1]]\n", ["joints[2]", "unique"]),
    ("joints: [a, b, c]\ncenter: a\nedges: [[1, 0], [2, 1]]\nbone_pairs: [[0, 0], [1, 0]]\n",
     ["bone_pairs", "[2]"]),
    ("joints: [a, b, c]\ncenter: a\nedgez: [[1, 0]]\n", ["unknown field", "edgez"]),
])
def test_validation_errors_name_file_field_and_fix(tmp_path, text, needles):
    path = _write(tmp_path, text)
    with pytest.raises(LayoutError) as info:
        get_layout(path)
    message = str(info.value)
    assert str(path) in message
    for needle in needles:
        assert needle in message, message


def test_edge_list_errors(tmp_path):
    with pytest.raises(LayoutError, match="1-indexed"):
        get_layout(_write(tmp_path, "[[0, 1], [1, 2]]", ".json"))
    with pytest.raises(LayoutError, match="self loop"):
        get_layout(_write(tmp_path, "[[1, 2], [2, 2]]", ".json"))
    with pytest.raises(LayoutError, match="disconnected"):
        get_layout(_write(tmp_path, "[[1, 2], [3, 4]]", ".json"))
    with pytest.raises(LayoutError, match="not valid JSON"):
        get_layout(_write(tmp_path, "[[1, 2]", ".json"))


def test_unknown_name_lists_builtins():
    with pytest.raises(LayoutError, match="coco"):
        get_layout("no_such_layout")


def test_layout_is_frozen():
    layout = get_layout("coco")
    with pytest.raises(AttributeError):
        layout.center = 3  # type: ignore[misc]
