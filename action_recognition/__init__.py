"""Skeleton-based human action recognition for ROS 2 (YOLO pose + ST-GCN++)."""

import pkgutil

__version__ = "0.1.0"

# The message build installs the generated `msg` subpackage beside an installed copy of this
# package. When the source tree is imported first (python started in the repository root), extend
# the package path so `action_recognition.msg` is still found in the installed copy.
__path__ = pkgutil.extend_path(__path__, __name__)
