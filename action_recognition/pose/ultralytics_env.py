"""Make Ultralytics run fully offline. Call `prepare()` before the first `import ultralytics`.

Ultralytics reads its settings when imported: without these variables it checks connectivity,
sends telemetry, may pip-install missing packages and writes settings under $HOME.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_done = False


def prepare() -> None:
    """Set the offline environment (idempotent; variables the user already set are kept).

    Note: `import ultralytics` then sets OMP_NUM_THREADS=1 when unset, so set torch's thread count
    explicitly after importing it where more threads are wanted.
    """
    global _done
    if not _done:
        os.environ.setdefault("YOLO_OFFLINE", "1")  # no hub, no connectivity check, no telemetry
        os.environ.setdefault("YOLO_AUTOINSTALL", "0")  # never pip-install at run time
        os.environ.setdefault("YOLO_VERBOSE", "0")
        os.environ.setdefault("CI", "true")  # OpenVINO's telemetry stays quiet
        if "YOLO_CONFIG_DIR" not in os.environ:
            cfg = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "action_recognition"
            try:
                cfg.mkdir(parents=True, exist_ok=True)
            except OSError:  # read-only home (containers): fall back to a temp folder
                cfg = Path(tempfile.gettempdir()) / "action_recognition_yolo"
                cfg.mkdir(parents=True, exist_ok=True)
            os.environ["YOLO_CONFIG_DIR"] = str(cfg)
        _done = True
