"""Where the package finds its data files (weights, demo video) and its config files.

Resolution order, first existing wins:
1. the ACTION_RECOGNITION_DATA_DIR / ACTION_RECOGNITION_CONFIG_DIR environment variables;
2. the source checkout (installed modules are symlinks into it, so resolve() lands there);
3. the install prefix's share folder (`<prefix>/share/action_recognition/...`, as colcon installs it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE_NAME = "action_recognition"
_SOURCE_ROOT = Path(__file__).resolve().parents[1]


def share_dir() -> Path:
    """The install prefix's share folder of the package (colcon and install.sh put msg/ there)."""
    return Path(sys.prefix) / "share" / PACKAGE_NAME


def _first_dir(env_var: str, name: str) -> Path:
    override = os.environ.get(env_var)
    if override:
        return Path(override).expanduser()
    for candidate in (_SOURCE_ROOT / name, share_dir() / name):
        if candidate.is_dir():
            return candidate
    return _SOURCE_ROOT / name


def data_dir() -> Path:
    """Folder holding downloaded assets: pose weights, the demo video, generated data sets."""
    return _first_dir("ACTION_RECOGNITION_DATA_DIR", "data")


def config_dir() -> Path:
    """Folder holding the editable config files (layouts, label maps, model and pipeline settings)."""
    return _first_dir("ACTION_RECOGNITION_CONFIG_DIR", "config")


def default_pose_weights() -> Path:
    """The yolo11n-pose weights install.sh places (COCO 17 keypoints)."""
    return data_dir() / "models" / "yolo11n-pose.pt"


def demo_video() -> Path:
    """The real demo video install.sh places (a person walking across a garden)."""
    return data_dir() / "videos" / "demo.mp4"


def models_dir() -> Path:
    """Folder of the shipped action models (in the checkout, or the share folder when installed)."""
    return _first_dir("ACTION_RECOGNITION_MODELS_DIR", "models")


DEFAULT_ACTION_MODEL = "stgcnpp_coco_synth"


def default_action_model() -> Path:
    """The shipped default ST-GCN++ (coco 2D layout, trained on synthetic motion)."""
    return models_dir() / DEFAULT_ACTION_MODEL / "model.pth"


def cache_dir() -> Path:
    """Writable folder for derived files (ONNX exports of checkpoints); safe to delete."""
    override = os.environ.get("ACTION_RECOGNITION_CACHE_DIR")
    base = Path(override) if override else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    folder = base if override else base / PACKAGE_NAME
    folder.mkdir(parents=True, exist_ok=True)
    return folder
