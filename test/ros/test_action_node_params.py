"""config/action.yaml and the action node's parameter table stay in step."""

from __future__ import annotations

import dataclasses

import yaml

from action_recognition.nodes.action_node import ACTION_NODE_PARAMS, RECOGNIZER_PARAMS, recognizer_config
from action_recognition.nodes.params import defaults
from action_recognition.paths import config_dir
from action_recognition.recognition import RecognizerConfig


def test_action_yaml_matches_the_table() -> None:
    data = yaml.safe_load((config_dir() / "action.yaml").read_text())
    # "/**/" keys: the file applies in any namespace
    assert data["/**/action_node"]["ros__parameters"] == defaults(ACTION_NODE_PARAMS)


def test_table_defaults_equal_the_recognizer_defaults() -> None:
    # The node builds a RecognizerConfig from these; the two sets of defaults must not drift apart.
    table = defaults(ACTION_NODE_PARAMS)
    assert recognizer_config(table) == RecognizerConfig()
    assert set(RECOGNIZER_PARAMS) == {f.name for f in dataclasses.fields(RecognizerConfig) if f.init}
    assert recognizer_config({**table, "period": 0.2, "stride_s": 0.5}).stride_s == 0.0  # period replaces it
    names = [p.name for p in ACTION_NODE_PARAMS]
    assert len(names) == len(set(names))
