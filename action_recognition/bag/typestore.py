"""A rosbags type store that knows ROS 2 Kilted's standard types plus this package's messages.

rosbags needs no ROS install: our types are registered from the .msg text, which gives the same
definitions (and the same CDR bytes) as the generated rclpy types.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from rosbags.typesys import Stores, get_types_from_msg, get_typestore
from rosbags.typesys.store import Typestore

from action_recognition import paths

MSG_PACKAGE = "action_recognition"


def msg_dir() -> Path:
    """Folder holding this package's .msg files (the checkout's msg/ or the installed share folder)."""
    for candidate in (paths.config_dir().parent / "msg", paths.share_dir() / "msg"):
        if candidate.is_dir() and any(candidate.glob("*.msg")):
            return candidate
    raise FileNotFoundError("action_recognition .msg files not found; reinstall with ./install.sh")


@lru_cache(maxsize=1)
def typestore() -> Typestore:
    """ROS 2 Kilted type store with every action_recognition/msg/* type registered."""
    store = get_typestore(Stores.ROS2_KILTED)
    types = {}
    for path in sorted(msg_dir().glob("*.msg")):
        types.update(get_types_from_msg(path.read_text(), f"{MSG_PACKAGE}/msg/{path.stem}"))
    store.register(types)
    return store
