"""Shared test setup: keep DDS on loopback and give every test run its own domain."""

from __future__ import annotations

import os
import random

# Set before any test imports rclpy so no discovery traffic leaves the machine and parallel
# runs on one machine never see each other.
os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
os.environ.setdefault("ROS_DOMAIN_ID", str(random.SystemRandom().randint(1, 100)))
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "0")
