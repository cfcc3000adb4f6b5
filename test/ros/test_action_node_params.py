"""config/action.yaml and the action node's parameter table stay in step."""

from __future__ import annotations

import yaml

from action_recognition.nodes.action_node import ACTION_NODE_PARAMS
from action_recognition.nodes.params import defaults
from action_recognition.paths import config_dir
from action_recognition.recognition import RecognizerConfig


def test_action_yaml_matches_the_table() -> None:
    data = yaml.safe_load((config_dir() / "action.yaml").read_text())
    assert data["action_node"]["ros__parameters"] == defaults(ACTION_NODE_PARAMS)


def test_table_defaults_equal_the_recognizer_defaults() -> None:
    # The node builds a RecognizerConfig from these; the two sets of defaults must not drift apart.
    table = defaults(ACTION_NODE_PARAMS)
    config = RecognizerConfig()
    for name in (
        "window",
        "min_frames",
        "stride",
        "persons_per_sample",
        "smoothing",
        "score_threshold",
        "track_timeout",
        "max_tracks",
        "max_batch",
    ):
        assert table[name] == getattr(config, name), name
    names = [p.name for p in ACTION_NODE_PARAMS]
    assert len(names) == len(set(names))
