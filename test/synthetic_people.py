"""Held-out synthetic people acting the shipped default model's classes, for tests of its labels."""

from __future__ import annotations

from action_recognition.data.synth.generator import SynthConfig, generate_dataset
from action_recognition.recognition import UNKNOWN_LABEL


def acted(labels: list[str]) -> list[str]:
    """The classes a synthetic person can act: all but the model's internal `unknown` class."""
    return [label for label in labels if label != UNKNOWN_LABEL]


def held_out_people(labels: list[str], count: int, seed: int, **config) -> list[dict]:
    """`count` sequences of the generator's test split (bodies and cameras unseen in training)."""
    cfg = SynthConfig(classes=acted(labels), layout="coco", **config)
    return generate_dataset(cfg, {"test": count}, seed=seed)["annotations"]
