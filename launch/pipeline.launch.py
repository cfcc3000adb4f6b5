"""Pose node + action node: images in, per-person actions on `actions` out.

    ros2 launch action_recognition pipeline.launch.py image:=/camera/image_raw imgsz:=320

Arguments: image, namespace, pose_model, action_model, labels, device, imgsz, debug_image, qos,
pose_config, action_config (`ros2 launch ... --show-args`, docs/launch.md).

The nodes, parameters and remappings come from action_recognition.launching.description, the same
description `action-recognition launch pipeline` starts (test/test_launch_files.py checks they agree).
"""

from typing import Any

from action_recognition.launching.ros_launch import generate


def generate_launch_description() -> Any:  # a launch.LaunchDescription
    return generate("pipeline")
