"""Tracker settings (Ultralytics ByteTrack / BoT-SORT YAML): find the file a `tracker` name means, check it.

    path = resolve_tracker("bytetrack_robust.yaml")   # config/trackers/ first, then Ultralytics' own files
    settings = load_tracker_config(path)              # dict; TrackerConfigError names file, field and fix

Ultralytics ignores keys it does not know and fails only at the first frame on a missing one, so a typo
(`track_bufer`) would silently run with a broken tracker: every key is checked here, before the model loads.
"""

from __future__ import annotations

import difflib
import importlib.util
from pathlib import Path
from typing import Any

import yaml

from action_recognition.paths import config_dir


class TrackerConfigError(ValueError):
    """A tracker name that resolves to no file, or a tracker YAML with a missing, unknown or bad field."""


_UNIT = (0.0, 1.0)
# field -> (type, (min, max) or allowed values or None)
_BYTETRACK: dict[str, tuple[type, Any]] = {
    "tracker_type": (str, None),
    "track_high_thresh": (float, _UNIT),
    "track_low_thresh": (float, _UNIT),
    "new_track_thresh": (float, _UNIT),
    "track_buffer": (int, (1, 100_000)),
    "match_thresh": (float, _UNIT),
    "fuse_score": (bool, None),
}
_BOTSORT = {
    **_BYTETRACK,
    "gmc_method": (str, ("sparseOptFlow", "orb", "sift", "ecc", "none", None)),
    "proximity_thresh": (float, _UNIT),
    "appearance_thresh": (float, _UNIT),
    "with_reid": (bool, None),
    "model": (str, None),
}
# This package's own fields (action_recognition.pose.tracking); absent = off, as in Ultralytics' files.
OWN_FIELDS: dict[str, tuple[type, Any]] = {
    "duplicate_overlap": (float, _UNIT),  # 0 = off
    "relink_s": (float, (0.0, 60.0)),  # 0 = off
    "relink_distance": (float, (0.0, 20.0)),  # body heights
}
SCHEMAS = {"bytetrack": {**_BYTETRACK, **OWN_FIELDS}, "botsort": {**_BOTSORT, **OWN_FIELDS}}
OPTIONAL = {"model", *OWN_FIELDS}  # BoT-SORT's ReID model (Ultralytics defaults it to "auto"); ours


def package_trackers_dir() -> Path:
    return config_dir() / "trackers"


def _ultralytics_trackers_dir() -> Path | None:
    spec = importlib.util.find_spec("ultralytics")  # located without importing (import is slow)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "cfg" / "trackers"


def available_trackers() -> list[str]:
    """Names `resolve_tracker` accepts besides paths: the package's, then Ultralytics' built-in files."""
    names = []
    for folder in (package_trackers_dir(), _ultralytics_trackers_dir()):
        if folder is not None and folder.is_dir():
            names += [p.name for p in sorted(folder.glob("*.yaml")) if p.name not in names]
    return names


def resolve_tracker(name: str | Path) -> Path:
    """The tracker YAML a `tracker` parameter means: an existing path, else a file of that name (".yaml"
    may be left out) in the package's config/trackers, else one of Ultralytics' built-in tracker files."""
    text = str(name).strip()
    if not text:
        raise TrackerConfigError("tracker: empty name; give e.g. bytetrack_robust.yaml or a YAML path")
    path = Path(text).expanduser()
    if path.is_file():
        return path
    file = text if text.endswith((".yaml", ".yml")) else f"{text}.yaml"
    if path.parent == Path("."):  # a bare name: look in the package's folder, then Ultralytics'
        for folder in (package_trackers_dir(), _ultralytics_trackers_dir()):
            if folder is not None and (folder / file).is_file():
                return folder / file
    choices = ", ".join(available_trackers())
    raise TrackerConfigError(f"tracker {text!r}: no such file; give a tracker YAML path or one of {choices}")


def _check_field(file: Path, key: str, value: Any, kind: type, bounds: Any) -> None:
    where = f"{file}: {key}"
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind is str and value is None and bounds is not None and None in bounds:
        return
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TrackerConfigError(f"{where}: expected {kind.__name__}, got {value!r}")
    if isinstance(bounds, tuple) and len(bounds) == 2 and kind in (int, float):
        lo, hi = bounds
        if not lo <= value <= hi:
            raise TrackerConfigError(f"{where}: {value!r} is outside [{lo}, {hi}]")
    elif isinstance(bounds, tuple) and value not in bounds:
        raise TrackerConfigError(f"{where}: {value!r} is not one of {', '.join(map(str, bounds[:-1]))}")


def load_tracker_config(path: str | Path) -> dict[str, Any]:
    """Read and check a ByteTrack/BoT-SORT YAML (the tracker types PersonTracker drives)."""
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise TrackerConfigError(f"{file}: cannot read tracker YAML: {exc}") from exc
    if not isinstance(data, dict) or "tracker_type" not in data:
        raise TrackerConfigError(f"{file}: tracker_type: missing; add 'tracker_type: bytetrack' (or botsort)")
    schema = SCHEMAS.get(data["tracker_type"])
    if schema is None:
        raise TrackerConfigError(
            f"{file}: tracker_type: {data['tracker_type']!r} is not supported here; use bytetrack or botsort"
        )
    for key in data:
        if key not in schema:
            close = difflib.get_close_matches(key, schema, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; known fields: {', '.join(schema)}"
            raise TrackerConfigError(f"{file}: {key}: unknown field{hint}")
    for key, (kind, bounds) in schema.items():
        if key not in data:
            if key in OPTIONAL:
                continue
            raise TrackerConfigError(f"{file}: {key}: missing; add it (as in config/trackers/*.yaml)")
        _check_field(file, key, data[key], kind, bounds)
    if data.get("with_reid"):
        raise TrackerConfigError(
            f"{file}: with_reid: true needs appearance features the pose estimator does not extract; set it "
            "to false (relink_s and relink_distance keep ids through short gaps)"
        )
    if data.get("relink_s", 0) > 0 and data.get("relink_distance", 0) <= 0:
        raise TrackerConfigError(f"{file}: relink_distance: missing or 0 while relink_s is set; add e.g. 1.5")
    if data["track_low_thresh"] > data["track_high_thresh"]:
        raise TrackerConfigError(
            f"{file}: track_low_thresh: {data['track_low_thresh']} is above track_high_thresh "
            f"{data['track_high_thresh']}; the low-score stage must sit below the high one"
        )
    return data
