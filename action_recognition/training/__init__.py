"""Offline training and evaluation of ST-GCN++ on PYSKL-format skeleton data."""

from action_recognition.training.config import ConfigError, TrainConfig, load_config
from action_recognition.training.metrics import (
    classification_report,
    confusion_matrix,
    mean_class_accuracy,
    top_k_accuracy,
)

__all__ = [
    "ConfigError",
    "TrainConfig",
    "classification_report",
    "confusion_matrix",
    "load_config",
    "mean_class_accuracy",
    "top_k_accuracy",
]
