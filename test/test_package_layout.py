"""The package's metadata agrees with itself: versions, entry points, the layout of the product card."""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
from pathlib import Path

from catkin_pkg.package import parse_package

import action_recognition
from action_recognition.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[1]


def _setup_cfg_entry_points() -> set[str]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    lines = cfg["options.entry_points"]["console_scripts"].strip().splitlines()
    return {re.sub(r"\s+", "", line) for line in lines}


def _cmake_entry_points() -> set[str]:
    text = (ROOT / "CMakeLists.txt").read_text()
    return set(re.findall(r'"([\w-]+=[\w.]+:\w+)"', text))


def test_product_card_layout_exists() -> None:
    for name in ("package.xml", "setup.py", "setup.cfg", "README.md", "CMakeLists.txt", "LICENSE"):
        assert (ROOT / name).is_file(), name
    # launch/ and training/ join this list with the launch files and the training subpackage.
    for name in ("action_recognition", "msg", "config", "test"):
        assert (ROOT / name).is_dir(), name


def test_package_xml_is_format_3_and_versions_agree() -> None:
    package = parse_package(str(ROOT / "package.xml"))
    assert package.package_format == 3
    assert package.name == "action_recognition"
    assert package.version == action_recognition.__version__
    assert package.get_build_type() == "ament_cmake"
    assert package.licenses == ["AGPL-3.0-or-later"]  # Ultralytics (AGPL-3.0) is linked in


def test_entry_points_of_setup_cfg_and_cmake_agree() -> None:
    cmake, setup = _cmake_entry_points(), _setup_cfg_entry_points()
    assert cmake == setup
    assert "action-recognition=action_recognition.cli.main:main" in cmake


def test_every_entry_point_target_exists() -> None:
    import importlib

    for spec in _cmake_entry_points():
        module_name, function = spec.split("=")[1].split(":")
        module = importlib.import_module(module_name)
        assert callable(getattr(module, function)), spec


def test_cli_version_and_unknown_command() -> None:
    script = Path(sys.prefix) / "bin" / "action-recognition"
    out = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"action-recognition {action_recognition.__version__}"
    bad = subprocess.run([str(script), "no-such-command"], capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_cli_lists_doctor() -> None:
    assert "doctor" in build_parser().format_help()
