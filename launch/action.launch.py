"""Action node only: skeletons in, per-person actions on `actions` out.

    ros2 launch action_recognition action.launch.py skeletons:=/robot/skeletons

Arguments: skeletons, namespace, action_model, labels, device, action_config (docs/launch.md).

The nodes, parameters and remappings come from action_recognition.launching.description, the same
description `action-recognition launch action` starts (test/test_launch_files.py checks they agree).
"""

from typing import Any

from action_recognition.launching.ros_launch import generate


def generate_launch_description() -> Any:  # a launch.LaunchDescription
    return generate("action")
