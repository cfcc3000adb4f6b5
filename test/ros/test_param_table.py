"""The node parameter tables as ROS parameters: descriptors (read-only, ranges), value checks, and the
checking of parameter files (unknown keys with 'did you mean', partial files, types, ranges)."""

from __future__ import annotations

import pytest

from action_recognition.nodes.params import (
    ACTION_NODE_PARAMS,
    NODE_TABLES,
    POSE_NODE_PARAMS,
    Param,
    check,
    check_config,
    defaults,
    descriptor,
)


@pytest.mark.parametrize("table", list(NODE_TABLES.values()), ids=list(NODE_TABLES))
def test_defaults_are_valid_values(table) -> None:
    for p in table:
        assert check(p, p.default) == p.default, p.name


def test_descriptors_are_read_only_unless_dynamic_with_ranges() -> None:
    by_name = {p.name: p for p in POSE_NODE_PARAMS}
    conf, imgsz = descriptor(by_name["conf"]), descriptor(by_name["imgsz"])
    assert not conf.read_only and conf.floating_point_range[0].from_value == 0.0
    assert conf.floating_point_range[0].to_value == 1.0 and not conf.integer_range
    assert imgsz.read_only and imgsz.integer_range[0].from_value == 32 and "read-only" in imgsz.description
    assert descriptor(by_name["qos_reliability"]).description.endswith("(one of: auto, best_effort, reliable)"
                                                                      " [read-only: set at start]")


def test_check_converts_and_refuses() -> None:
    flag = Param("publish_debug_image", False, "")
    assert check(flag, "True") is True and check(flag, "false") is False and check(flag, True) is True
    with pytest.raises(ValueError, match="true or false"):
        check(flag, "maybe")
    period = Param("diagnostics_period", 1.0, "", low=0.1, high=3600.0)
    assert check(period, 2) == 2.0
    with pytest.raises(ValueError, match=r"'diagnostics_period' = 0.0 is outside \[0.1, 3600\]"):
        check(period, 0.0)


def test_check_config_fills_defaults_and_names_typos() -> None:
    values = check_config(ACTION_NODE_PARAMS, {"score_threshold": 0.5, "use_sim_time": True}, "a.yaml")
    assert values == {**defaults(ACTION_NODE_PARAMS), "score_threshold": 0.5, "use_sim_time": True}
    with pytest.raises(ValueError, match=r"a.yaml: unknown parameter 'strid' \(did you mean 'stride_s'\?\)"):
        check_config(ACTION_NODE_PARAMS, {"strid": 3}, "a.yaml")
    with pytest.raises(ValueError, match=r"p.yaml: unknown parameter 'imgzs' \(did you mean 'imgsz'\?\)"):
        check_config(POSE_NODE_PARAMS, {"imgzs": 320}, "p.yaml")
    with pytest.raises(ValueError, match=r"p\.yaml: parameter 'imgsz' must be a int"):
        check_config(POSE_NODE_PARAMS, {"imgsz": "big"}, "p.yaml")
    with pytest.raises(ValueError, match=r"unknown parameter 'zzz'; known: model, "):  # nothing close
        check_config(POSE_NODE_PARAMS, {"zzz": 1}, "p.yaml")
