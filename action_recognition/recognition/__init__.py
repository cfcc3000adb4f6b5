"""Online recognition core (no ROS): per-track windows, batched ST-GCN++ inference, model loading."""

from action_recognition.recognition.model_source import (
    ActionModel,
    ModelSourceError,
    load_action_model,
    read_labels,
)
from action_recognition.recognition.recognizer import (
    UNKNOWN_LABEL,
    ActionRecognizer,
    ActionResult,
    RecognizerConfig,
)
from action_recognition.recognition.tracks import FrameStats, PersonFrame, TrackTable

__all__ = [
    "UNKNOWN_LABEL",
    "ActionModel",
    "ActionRecognizer",
    "ActionResult",
    "FrameStats",
    "ModelSourceError",
    "PersonFrame",
    "RecognizerConfig",
    "TrackTable",
    "load_action_model",
    "read_labels",
]
