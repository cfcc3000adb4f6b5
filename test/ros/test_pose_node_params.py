"""config/pose.yaml and the parameter table in nodes/params.py stay in step; values coerce sensibly."""

from __future__ import annotations

import pytest
import yaml

from action_recognition.nodes.params import POSE_NODE_PARAMS, VIDEO_SOURCE_PARAMS, Param, _coerce, defaults
from action_recognition.paths import config_dir


def test_pose_yaml_matches_the_table() -> None:
    data = yaml.safe_load((config_dir() / "pose.yaml").read_text())
    # "/**/" keys: the file applies in any namespace
    assert data["/**/pose_node"]["ros__parameters"] == defaults(POSE_NODE_PARAMS)


def test_tables_have_unique_names_and_valid_defaults() -> None:
    for table in (POSE_NODE_PARAMS, VIDEO_SOURCE_PARAMS):
        names = [p.name for p in table]
        assert len(names) == len(set(names))
        assert all(p.default in p.choices for p in table if p.choices)


def test_coerce() -> None:
    conf = Param("conf", 0.25, "")
    assert _coerce(conf, 1) == 1.0 and isinstance(_coerce(conf, 1), float)
    with pytest.raises(ValueError, match="conf"):
        _coerce(conf, "high")
    with pytest.raises(ValueError, match="imgsz"):
        _coerce(Param("imgsz", 640, ""), 3.5)
    with pytest.raises(ValueError, match="true or false"):
        _coerce(Param("half", False, ""), 1)
    assert _coerce(Param("source", "", ""), 0) == "0"  # -p source:=0 arrives as an int: camera 0
