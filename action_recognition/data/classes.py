"""Named class lists: config/datasets/<name>.yaml files, or names / indices given on the command line."""

from __future__ import annotations

from pathlib import Path

import yaml

from action_recognition.paths import config_dir


def dataset_class_files() -> dict[str, Path]:
    """The class-list files under config/datasets, by name."""
    folder = config_dir() / "datasets"
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))} if folder.is_dir() else {}


def load_class_file(path: str | Path) -> list[str]:
    with Path(path).open() as f:
        spec = yaml.safe_load(f) or {}
    classes = spec.get("classes") if isinstance(spec, dict) else spec
    if not isinstance(classes, list) or not classes or not all(isinstance(c, str) for c in classes):
        raise ValueError(f"{path}: expected a non-empty list of class names under 'classes'")
    return [c.strip() for c in classes]


def resolve_classes(spec: str | None, known: tuple[str, ...] | list[str]) -> list[str]:
    """Turn a --classes value into class names.

    Accepted: None (all of `known`), a config/datasets name or a YAML path, or a comma-separated list of class
    names or 0-based indices into `known` (e.g. "sitting down,standing still" or "0,1").
    """
    if spec is None or not spec.strip():
        return list(known)
    files = dataset_class_files()
    if spec in files:
        classes = load_class_file(files[spec])
    elif spec.endswith((".yaml", ".yml")) and Path(spec).is_file():
        classes = load_class_file(spec)
    else:
        classes = []
        for item in (s.strip() for s in spec.split(",")):
            if not item:
                continue
            classes.append(known[int(item)] if item.isdigit() and int(item) < len(known) else item)
    unknown = [c for c in classes if c not in known]
    if unknown:
        raise ValueError(f"unknown class(es) {unknown}; known: {list(known)}")
    if len(set(classes)) != len(classes):
        raise ValueError(f"class list has repeats: {classes}")
    return classes
