"""Where the package finds its data files (weights, demo video), config files and shipped models.

Resolution order, first existing wins:
1. the ACTION_RECOGNITION_DATA_DIR / _CONFIG_DIR / _MODELS_DIR environment variables;
2. the source checkout, when these modules are (or link into) one: ./install.sh and
   `colcon build --symlink-install`, whose installed modules resolve into the checkout;
3. the share folder of the install prefix these modules were installed into
   (`<prefix>/share/action_recognition`, `colcon build` without --symlink-install), so a workspace
   uses its own config and models, never another prefix's copy;
4. the share folder the ament index names (the first prefix on AMENT_PREFIX_PATH that has the package);
5. `sys.prefix/share/action_recognition` (the message build of ./install.sh installs there).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE_NAME = "action_recognition"
_MODULE_DIR = Path(__file__).resolve().parent
_SOURCE_ROOT = _MODULE_DIR.parent


def _is_checkout(root: Path) -> bool:
    return (root / "package.xml").is_file() and (root / "config").is_dir()


def _own_prefix_share() -> Path | None:
    """`<prefix>/share/<package>` for modules installed in `<prefix>/lib/pythonX.Y/site-packages/`."""
    parts = Path(__file__).parent.parts  # unresolved: a copy installed by colcon
    if len(parts) >= 5 and parts[-2] in ("site-packages", "dist-packages") and parts[-4] == "lib":
        share = Path(*parts[:-4]) / "share" / PACKAGE_NAME
        return share if share.is_dir() else None
    return None


def _ament_share() -> Path | None:
    try:
        from ament_index_python.packages import PackageNotFoundError, get_package_share_directory
    except ImportError:  # a plain pip install without ROS
        return None
    try:
        return Path(get_package_share_directory(PACKAGE_NAME))
    except (PackageNotFoundError, ValueError, LookupError, OSError):  # not indexed / AMENT_PREFIX_PATH unset
        return None


def share_dirs() -> list[Path]:
    """Candidate share folders of the installed package, most specific first (see the module docstring)."""
    found = [_own_prefix_share(), _ament_share(), Path(sys.prefix) / "share" / PACKAGE_NAME]
    out: list[Path] = []
    for d in found:
        if d is not None and d not in out:
            out.append(d)
    return out


def share_dir() -> Path:
    """The share folder of the installed package (msg/, config/, models/, data/), or sys.prefix's."""
    return next((d for d in share_dirs() if d.is_dir()), Path(sys.prefix) / "share" / PACKAGE_NAME)


def _first_dir(env_var: str, name: str) -> Path:
    override = os.environ.get(env_var)
    if override:
        return Path(override).expanduser()
    candidates = [_SOURCE_ROOT / name] if _is_checkout(_SOURCE_ROOT) else []
    candidates += [d / name for d in share_dirs()]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[0] if candidates else _SOURCE_ROOT / name


def data_dir() -> Path:
    """Folder holding downloaded assets: pose weights, the demo video, generated data sets."""
    return _first_dir("ACTION_RECOGNITION_DATA_DIR", "data")


def config_dir() -> Path:
    """Folder holding the editable config files (layouts, label maps, model and pipeline settings)."""
    return _first_dir("ACTION_RECOGNITION_CONFIG_DIR", "config")


def default_pose_weights() -> Path:
    """The yolo11n-pose weights install.sh places in data/models (installed with the package by colcon)."""
    return data_dir() / "models" / "yolo11n-pose.pt"


def demo_video() -> Path:
    """The real demo video install.sh places (a person walking across a garden)."""
    return data_dir() / "videos" / "demo.mp4"


def models_dir() -> Path:
    """Folder of the shipped action models (in the checkout, or the share folder when installed)."""
    return _first_dir("ACTION_RECOGNITION_MODELS_DIR", "models")


DEFAULT_ACTION_MODEL = "stgcnpp_coco_real"
SYNTHETIC_ACTION_MODEL = "stgcnpp_coco_synth"  # synthetic data only: the permissively licensed alternative


ENSEMBLE_FILE = "ensemble.yaml"  # a model folder's ensemble of seeds, preferred over its model.pth


def shipped_model_file(name: str) -> Path:
    """The file a shipped model's name loads: its folder's ensemble.yaml (several seeds,
    `model/ensemble.py`) if it has one, else its model.pth (which may not exist)."""
    folder = models_dir() / name
    ensemble = folder / ENSEMBLE_FILE
    return ensemble if ensemble.is_file() else folder / "model.pth"


def default_action_model() -> Path:
    """The shipped default ST-GCN++ (coco 2D layout; synthetic + real motion, research/non-commercial use)."""
    return shipped_model_file(DEFAULT_ACTION_MODEL)


def cache_dir() -> Path:
    """Writable folder for derived files (ONNX exports of checkpoints); safe to delete."""
    override = os.environ.get("ACTION_RECOGNITION_CACHE_DIR")
    base = Path(override) if override else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    folder = base if override else base / PACKAGE_NAME
    folder.mkdir(parents=True, exist_ok=True)
    return folder
