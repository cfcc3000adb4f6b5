"""Reading layouts: built-in names, YAML layout files and the 1-indexed JSON edge lists.

The built-in layouts are YAML files in `config/layouts/` (the same format users write), so
adding a skeleton never needs a code edit: drop `<name>.yaml` there or pass a file path.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from action_recognition.paths import config_dir
from action_recognition.skeleton.layout import (
    LayoutError,
    SkeletonLayout,
    derive_bone_pairs,
    validate_layout,
)

BUILTIN_LAYOUTS: tuple[str, ...] = ("nturgb+d", "coco", "openpose")
_KNOWN_FIELDS = {"name", "joints", "edges", "center", "bone_pairs", "index_base", "description"}


def layouts_dir() -> Path:
    """Folder holding `<name>.yaml` layout files (built-ins and user additions)."""
    return config_dir() / "layouts"


def _joint_index(value: Any, names: Sequence[str], base: int, source: str, field: str) -> int:
    if isinstance(value, bool):
        raise LayoutError(f"{source}: field '{field}' is {value!r}; use a joint name or an integer index")
    if isinstance(value, int):
        return value - base
    if isinstance(value, str):
        try:
            return names.index(value)
        except ValueError:
            raise LayoutError(
                f"{source}: field '{field}' names joint {value!r}, which is not in 'joints'; "
                "fix the spelling or add the joint") from None
    raise LayoutError(f"{source}: field '{field}' is {value!r}; use a joint name or an integer index")


def _pairs(raw: Any, names: Sequence[str], base: int, source: str, field: str) -> tuple[tuple[int, int], ...]:
    if not isinstance(raw, list):
        raise LayoutError(f"{source}: field '{field}' must be a list of [child, parent] pairs, got {raw!r}")
    out = []
    for k, pair in enumerate(raw):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise LayoutError(
                f"{source}: field '{field}[{k}]' = {pair!r}; write each entry as [child, parent]")
        out.append(tuple(_joint_index(x, names, base, source, f"{field}[{k}]") for x in pair))
    return tuple(out)  # type: ignore[return-value]


def layout_from_dict(data: dict, source: str = "<layout>") -> SkeletonLayout:
    """Build and validate a layout from its plain-data form (what a YAML layout file holds).

    Fields: `name`, `joints` (names, in keypoint order), `edges` ([child, parent] pairs of names
    or indices), `center` (name or index), optional `bone_pairs` (derived from the edges when
    absent) and `index_base` (0 or 1, for numeric indices; default 0).
    """
    if not isinstance(data, dict):
        raise LayoutError(f"{source}: a layout file must hold a mapping with 'joints', 'edges' and 'center'")
    unknown = sorted(set(data) - _KNOWN_FIELDS)
    if unknown:
        raise LayoutError(f"{source}: unknown field(s) {unknown}; allowed: {sorted(_KNOWN_FIELDS)}")
    for field in ("joints", "edges", "center"):
        if field not in data:
            raise LayoutError(
                f"{source}: field '{field}' is missing; a layout needs 'joints', 'edges' and 'center'")
    base = data.get("index_base", 0)
    if base not in (0, 1):
        raise LayoutError(f"{source}: field 'index_base' is {base!r}; use 0 or 1")
    joints = data["joints"]
    if isinstance(joints, int) and not isinstance(joints, bool):
        joints = [f"joint_{i + base}" for i in range(joints)]  # a count: generic names
    if not isinstance(joints, list):
        raise LayoutError(f"{source}: field 'joints' must be a list of joint names (or a joint count)")
    names = tuple(str(n) if isinstance(n, (int, float)) else n for n in joints)
    edges = _pairs(data["edges"], names, base, source, "edges")
    center = _joint_index(data["center"], names, base, source, "center")
    # Validate edges before deriving bones: the derivation assumes a valid, connected graph.
    probe = SkeletonLayout(str(data.get("name", Path(source).stem)), names, edges, center,
                           tuple((v, v) for v in range(len(names))))
    validate_layout(probe, source)
    if data.get("bone_pairs") is None:
        bones = derive_bone_pairs(len(names), edges, center)
    else:
        bones = _pairs(data["bone_pairs"], names, base, source, "bone_pairs")
    return validate_layout(
        SkeletonLayout(probe.name, names, edges, center, bones), source)


def graph_center(num_joints: int, edges: Sequence[tuple[int, int]]) -> int:
    """The joint with the smallest eccentricity (ties: more neighbours, then lower index).

    Picks the PYSKL centers for the built-in graphs (NTU 20, COCO 0, OpenPose 1); used when an
    edge list does not say which joint is the center.
    """
    neighbours: list[set[int]] = [set() for _ in range(num_joints)]
    for i, j in edges:
        neighbours[i].add(j)
        neighbours[j].add(i)

    def eccentricity(s: int) -> int:
        dist = {s: 0}
        frontier = [s]
        while frontier:
            nxt = []
            for u in frontier:
                for w in neighbours[u]:
                    if w not in dist:
                        dist[w] = dist[u] + 1
                        nxt.append(w)
            frontier = nxt
        return max(dist.values()) if len(dist) == num_joints else num_joints + 1

    return min(range(num_joints), key=lambda v: (eccentricity(v), -len(neighbours[v]), v))


def layout_from_edge_list(pairs: Any, source: str = "<edge list>", name: str | None = None,
                          center: int | None = None) -> SkeletonLayout:
    """Layout from a 1-indexed [[child, parent], ...] list (the seed tutorial's edge-list file).

    The joint count is the largest index; joints are named joint_1..joint_V; `center` (1-based)
    defaults to `graph_center`; bone pairs are derived from the edges.
    """
    if not isinstance(pairs, list) or not pairs:
        raise LayoutError(
            f"{source}: an edge-list file must hold a non-empty JSON list like [[1, 2], [2, 21]]")
    for k, pair in enumerate(pairs):
        ok = isinstance(pair, list) and len(pair) == 2 and all(
            isinstance(x, int) and not isinstance(x, bool) for x in pair)
        if not ok:
            raise LayoutError(
                f"{source}: entry {k} = {pair!r}; each entry must be a pair of joint numbers [i, j]")
        if min(pair) < 1:
            raise LayoutError(
                f"{source}: entry {k} = {pair} uses joint {min(pair)}; edge-list files are 1-indexed "
                "(first joint is 1) - add 1 to every index or write a YAML layout with index_base: 0")
    num = max(max(p) for p in pairs)
    edges = tuple((i - 1, j - 1) for i, j in pairs)
    if center is None:
        probe = SkeletonLayout("probe", tuple(f"joint_{i + 1}" for i in range(num)), edges, 0,
                               tuple((v, v) for v in range(num)))
        validate_layout(probe, source)  # clear errors before picking a center on a broken graph
        center0 = graph_center(num, edges)
    else:
        center0 = center - 1
    return layout_from_dict(
        {"name": name or Path(source).stem, "joints": num, "index_base": 0,
         "edges": [list(e) for e in edges], "center": center0}, source)


def load_layout_file(path: str | os.PathLike) -> SkeletonLayout:
    """Read a `.yaml`/`.yml` layout file or a `.json` file (edge list, or a layout mapping)."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LayoutError(f"{source}: cannot read the layout file ({exc.strerror}); check the path") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
        raise LayoutError(f"{source}: not valid {kind}: {exc}; fix the file's syntax") from None
    if isinstance(data, list):
        return layout_from_edge_list(data, source)
    if isinstance(data, dict):
        data = dict(data)
        data.setdefault("name", path.stem)
    return layout_from_dict(data, source)


def get_layout(name_or_path: str | os.PathLike) -> SkeletonLayout:
    """A built-in layout by name, a `<name>.yaml` in `config/layouts/`, or a layout file path."""
    if isinstance(name_or_path, SkeletonLayout):
        return name_or_path
    text = os.fspath(name_or_path)
    candidate = Path(text).expanduser()
    if candidate.is_file():
        return load_layout_file(candidate)
    if os.sep not in text and "/" not in text and candidate.suffix.lower() not in (".json", ".yaml", ".yml"):
        named = layouts_dir() / f"{text}.yaml"
        if named.is_file():
            return load_layout_file(named)
    raise LayoutError(
        f"{text}: unknown layout - not a built-in {list(BUILTIN_LAYOUTS)}, no file "
        f"{layouts_dir() / (text + '.yaml')} and no such path; pass a built-in name or a layout file path")
