"""Every shipped model reproduces from the recipe its card names: the config it was trained with is the
recipe as it is in training/configs (only the run folder may differ), and every weight file a recipe
starts from is in the checkout and fits it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from action_recognition.model import load_checkpoint
from action_recognition.training.config import load_config

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(p.parent for p in (ROOT / "models").glob("*/config.yaml"))
RECIPES = sorted((ROOT / "training" / "configs").glob("*.yaml"))
# Fields that name where a run was written, not how the weights were made.
RUN_ONLY = {"work_dir"}


def _flat(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def _recipe_of(folder: Path) -> Path:
    found = re.search(r"train --config (\S+?\.yaml)", (folder / "report.md").read_text())
    assert found, f"{folder / 'report.md'} names no `train --config` recipe"
    return ROOT / found.group(1)


def test_every_shipped_model_has_a_card_and_a_config() -> None:
    names = {p.name for p in SHIPPED}
    assert {"stgcnpp_coco_real", "stgcnpp_coco_synth"} <= names, names


@pytest.mark.parametrize("folder", SHIPPED, ids=lambda p: p.name)
def test_a_shipped_model_was_trained_with_its_recipe_as_it_is(folder: Path) -> None:
    recipe = _recipe_of(folder)
    assert recipe.is_file(), f"{folder.name}: its card names {recipe}, which does not exist"
    trained = _flat(load_config(folder / "config.yaml").to_dict())
    current = _flat(load_config(recipe).to_dict())
    differ = {k: (trained.get(k), current.get(k)) for k in trained.keys() | current.keys()
              if k not in RUN_ONLY and trained.get(k) != current.get(k)}
    assert not differ, f"{folder.name} was trained with other settings than {recipe.name} now has: {differ}"


@pytest.mark.parametrize("config", [*RECIPES, *(p / "config.yaml" for p in SHIPPED)],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_weights_a_recipe_starts_from_are_here_and_fit(config: Path) -> None:
    cfg = load_config(config)
    if not cfg.model.pretrained:
        return
    start = ROOT / cfg.model.pretrained  # recipes are run from the repository root
    assert start.is_file(), f"{config}: model.pretrained {cfg.model.pretrained} is not in the checkout"
    spec = load_checkpoint(start).spec
    layout = cfg.data.layout or cfg.data.synth.layout
    wanted = (layout, list(cfg.data.feats), cfg.data.clip_len)
    assert (spec.layout, list(spec.feats), spec.clip_len) == wanted, config
