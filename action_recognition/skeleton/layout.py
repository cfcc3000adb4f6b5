"""The skeleton layout record and its validation.

A layout is data: joint names, graph edges, the center joint and the bone pairs. Every layout,
built-in or user-made, goes through `validate_layout`, so the model and the feature code can trust
it (indices in range, a connected graph, one bone per joint).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


class LayoutError(ValueError):
    """A layout that cannot be used; the message names the source, the field and the fix."""


@dataclass(frozen=True)
class SkeletonLayout:
    """A skeleton: joints, graph edges (child, parent), center joint and bone pairs (all 0-based).

    `edges` are PYSKL's "inward" pairs: (i, j) points from joint i towards joint j, nearer the
    center. `bone_pairs` hold one (joint, parent) pair per joint; the bone streams use
    keypoint[joint] - keypoint[parent] (the center pairs with itself and gives a zero bone).
    """

    name: str
    joint_names: tuple[str, ...]
    edges: tuple[tuple[int, int], ...]
    center: int
    bone_pairs: tuple[tuple[int, int], ...]

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)

    def to_dict(self) -> dict:
        """Plain-data form (YAML/JSON/checkpoint friendly); `layout_from_dict` reads it back."""
        return {
            "name": self.name,
            "joints": list(self.joint_names),
            "edges": [list(e) for e in self.edges],
            "center": self.center,
            "bone_pairs": [list(p) for p in self.bone_pairs],
        }


def bfs_parents(num_joints: int, edges: tuple[tuple[int, int], ...], center: int) -> list[int]:
    """Parent of each joint on a breadth-first tree rooted at `center` (center -> itself).

    Neighbours are visited in edge order, so for a tree whose edges point inward this gives exactly
    the edges' own (child, parent) orientation.
    """
    neighbours: list[list[int]] = [[] for _ in range(num_joints)]
    for i, j in edges:
        neighbours[i].append(j)
        neighbours[j].append(i)
    parent = [-1] * num_joints
    parent[center] = center
    queue = deque([center])
    while queue:
        u = queue.popleft()
        for w in neighbours[u]:
            if parent[w] < 0:
                parent[w] = u
                queue.append(w)
    return parent


def derive_bone_pairs(num_joints: int, edges: tuple[tuple[int, int], ...], center: int) -> tuple[
        tuple[int, int], ...]:
    """One (joint, parent-towards-center) pair per joint, in joint order."""
    parent = bfs_parents(num_joints, edges, center)
    return tuple((v, parent[v]) for v in range(num_joints))


def validate_layout(layout: SkeletonLayout, source: str = "<layout>") -> SkeletonLayout:
    """Raise LayoutError naming `source` and the field at fault unless the layout is usable."""
    v = layout.num_joints
    if v < 2:
        raise LayoutError(f"{source}: field 'joints' lists {v} joint(s); a skeleton needs at least 2 joints")
    names_seen: dict[str, int] = {}
    for idx, name in enumerate(layout.joint_names):
        if not isinstance(name, str) or not name:
            raise LayoutError(
                f"{source}: field 'joints[{idx}]' is {name!r}; give every joint a non-empty name")
        if name in names_seen:
            raise LayoutError(
                f"{source}: field 'joints[{idx}]' repeats the name {name!r} of joint {names_seen[name]}; "
                "joint names must be unique")
        names_seen[name] = idx
    if not layout.edges:
        raise LayoutError(
            f"{source}: field 'edges' is empty; list the (child, parent) joint pairs of the skeleton")
    seen: dict[frozenset[int], int] = {}
    for k, (i, j) in enumerate(layout.edges):
        for end in (i, j):
            if not 0 <= end < v:
                raise LayoutError(
                    f"{source}: field 'edges[{k}]' = {[i, j]} uses joint index {end}, out of range for "
                    f"{v} joints (valid 0..{v - 1} when 0-based); fix the index or add the joint to 'joints'")
        if i == j:
            raise LayoutError(
                f"{source}: field 'edges[{k}]' = {[i, j]} is a self loop; self links are added by the graph "
                "itself, remove this edge")
        key = frozenset((i, j))
        if key in seen:
            raise LayoutError(
                f"{source}: field 'edges[{k}]' = {[i, j]} duplicates edges[{seen[key]}] "
                f"= {list(layout.edges[seen[key]])}; list each joint pair once (direction child -> parent)")
        seen[key] = k
    if not isinstance(layout.center, int) or not 0 <= layout.center < v:
        raise LayoutError(
            f"{source}: field 'center' is {layout.center!r}; set it to a joint name or index in 0..{v - 1}")
    parent = bfs_parents(v, layout.edges, layout.center)
    unreached = [layout.joint_names[u] for u in range(v) if parent[u] < 0]
    if unreached:
        raise LayoutError(
            f"{source}: field 'edges' leaves the graph disconnected: joint(s) {unreached} cannot be reached "
            f"from center {layout.joint_names[layout.center]!r}; add edges linking them")
    children: dict[int, int] = {}
    for k, (i, j) in enumerate(layout.bone_pairs):
        for end in (i, j):
            if not 0 <= end < v:
                raise LayoutError(
                    f"{source}: field 'bone_pairs[{k}]' = {[i, j]} uses joint index {end}, out of range for "
                    f"{v} joints; fix it or drop 'bone_pairs' to derive them from the edges")
        if i in children:
            raise LayoutError(
                f"{source}: field 'bone_pairs[{k}]' gives joint {i} a second bone (first at bone_pairs"
                f"[{children[i]}]); each joint needs exactly one (joint, parent) pair")
        children[i] = k
    missing = [u for u in range(v) if u not in children]
    if missing:
        raise LayoutError(
            f"{source}: field 'bone_pairs' has no pair for joint(s) {missing}; each joint needs exactly one "
            "(joint, parent) pair (use (j, j) for the root), or drop 'bone_pairs' to derive them")
    return layout
