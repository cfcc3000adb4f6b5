"""Tracker YAMLs: the shipped ones validate and drive the real Ultralytics tracker; a bad file fails naming
the file, the field and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from action_recognition.paths import config_dir
from action_recognition.pose.tracker_config import (
    TrackerConfigError,
    available_trackers,
    load_tracker_config,
    resolve_tracker,
)
from action_recognition.pose.tracking import PersonTracker

SHIPPED = sorted((config_dir() / "trackers").glob("*.yaml"))


def test_the_package_ships_tracker_files() -> None:
    assert "bytetrack_robust.yaml" in [p.name for p in SHIPPED]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_tracker_validates_and_loads(path: Path) -> None:
    settings = load_tracker_config(path)
    assert settings["tracker_type"] in ("bytetrack", "botsort")
    tracker = PersonTracker(path.name)  # resolved by name through the package's config folder
    assert tracker.path == path
    assert tracker.relink_s > 0 and tracker.relink_distance > 0  # the point of shipping our own file


def test_names_resolve_package_first_then_ultralytics(tmp_path) -> None:
    assert resolve_tracker("bytetrack_robust.yaml") == config_dir() / "trackers" / "bytetrack_robust.yaml"
    assert resolve_tracker("bytetrack_robust") == resolve_tracker("bytetrack_robust.yaml")
    builtin = resolve_tracker("bytetrack.yaml")
    assert builtin.parts[-3:] == ("cfg", "trackers", "bytetrack.yaml") and "ultralytics" in builtin.parts
    mine = tmp_path / "mine.yaml"
    mine.write_text((config_dir() / "trackers" / "bytetrack_robust.yaml").read_text())
    assert resolve_tracker(str(mine)) == mine
    assert {"bytetrack_robust.yaml", "bytetrack.yaml", "botsort.yaml"} <= set(available_trackers())


def test_builtin_ultralytics_files_validate_and_keep_their_behaviour() -> None:
    for name in ("bytetrack.yaml", "botsort.yaml"):
        tracker = PersonTracker(name)
        assert tracker.relink_s == 0 and tracker.duplicate_overlap == 0  # exactly Ultralytics' tracking


@pytest.mark.parametrize("name", ["", "nosuch.yaml", "nosuch", "/no/such/dir/t.yaml"])
def test_unknown_tracker_name_lists_the_choices(name: str) -> None:
    with pytest.raises(TrackerConfigError, match=r"bytetrack_robust\.yaml") as err:
        resolve_tracker(name)
    assert "tracker" in str(err.value)


def _write(tmp_path: Path, **changes) -> Path:
    data = yaml.safe_load((config_dir() / "trackers" / "bytetrack_robust.yaml").read_text())
    for key, value in changes.items():
        if value is _DELETE:
            del data[key]
        else:
            data[key] = value
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


_DELETE = object()

BAD = [
    ({"track_buffer": _DELETE}, "track_buffer: missing"),
    ({"track_bufer": 30}, r"track_bufer: unknown field \(did you mean 'track_buffer'\?\)"),
    ({"track_buffer": "long"}, "track_buffer: expected int"),
    ({"track_buffer": 2.5}, "track_buffer: expected int"),
    ({"fuse_score": "yes"}, "fuse_score: expected bool"),
    ({"match_thresh": 1.5}, r"match_thresh: 1.5 is outside \[0.0, 1.0\]"),
    ({"track_high_thresh": 0.05}, "track_low_thresh: .* above track_high_thresh"),
    ({"tracker_type": "tracktrack"}, "tracker_type: 'tracktrack' is not supported here"),
    ({"tracker_type": _DELETE}, "tracker_type: missing"),
    ({"relink_distance": _DELETE}, "relink_distance: missing or 0 while relink_s is set"),
    ({"relink_s": -1.0}, r"relink_s: -1.0 is outside"),
]


@pytest.mark.parametrize(("changes", "message"), BAD, ids=[m.split(":")[0] for _, m in BAD])
def test_bad_tracker_file_names_file_and_field(tmp_path, changes: dict, message: str) -> None:
    path = _write(tmp_path, **changes)
    with pytest.raises(TrackerConfigError, match=message) as err:
        load_tracker_config(path)
    assert str(path) in str(err.value)
    with pytest.raises(TrackerConfigError):
        PersonTracker(str(path))


def test_botsort_reid_is_refused_with_the_fix(tmp_path) -> None:
    data = yaml.safe_load(resolve_tracker("botsort.yaml").read_text())
    data["with_reid"] = True
    path = tmp_path / "reid.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(TrackerConfigError, match=r"with_reid: true .* set it to false"):
        load_tracker_config(path)


@pytest.mark.parametrize("text", ["tracker_type: [bytetrack", "- a list\n- not a mapping\n", ""])
def test_unreadable_or_non_mapping_yaml(tmp_path, text: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(TrackerConfigError, match=str(path)):
        load_tracker_config(path)
