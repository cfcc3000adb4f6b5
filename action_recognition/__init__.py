"""Skeleton-based human action recognition for ROS 2 (YOLO pose + ST-GCN++)."""

import pkgutil
from pathlib import Path

__version__ = "0.1.0"

# The message build installs the generated `msg` subpackage into site-packages. Two cases:
# - the checkout is imported first (python started in the repository root): extend_path adds the
#   installed folder, so `action_recognition.msg` is found there;
# - the installed copy is imported, whose __init__.py is a symlink into the checkout (install.sh):
#   the resolved folder is added, so every module of the checkout is importable without a rebuild.
__path__ = pkgutil.extend_path(__path__, __name__)
_checkout = str(Path(__file__).resolve().parent)
if _checkout not in __path__:
    __path__.append(_checkout)

# Before anything heavy is imported: in a node process, a stop signal now ends it quietly (startup.py).
from action_recognition.startup import quiet_until_started  # noqa: E402

quiet_until_started()
