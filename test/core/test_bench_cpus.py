"""The bench's CPU split between the node under test and its own client."""

from __future__ import annotations

import os

import pytest

from action_recognition.bench.nodes import split_cpus


def test_default_split_gives_the_node_the_first_cpu():
    cpus = sorted(os.sched_getaffinity(0))
    node, client = split_cpus()
    assert node == {cpus[0]}
    assert client == (set(cpus[1:]) or node)


def test_named_node_cpus_and_the_client_takes_the_rest_or_shares():
    cpus = sorted(os.sched_getaffinity(0))
    node, client = split_cpus([cpus[-1]])
    assert node == {cpus[-1]} and client == (set(cpus[:-1]) or node)
    node, client = split_cpus(cpus)  # every CPU for the node: the client shares them
    assert node == client == set(cpus)
    with pytest.raises(ValueError, match="not all among"):
        split_cpus([max(cpus) + 1000])
