"""Pose node only: images in, tracked skeletons on `skeletons` out.

    ros2 launch action_recognition pose.launch.py image:=/camera/image_raw

Arguments: image, namespace, pose_model, device, imgsz, debug_image, qos, pose_config (docs/launch.md).

The nodes, parameters and remappings come from action_recognition.launching.description, the same
description `action-recognition launch pose` starts (test/test_launch_files.py checks they agree).
"""

from typing import Any

from action_recognition.launching.ros_launch import generate


def generate_launch_description() -> Any:  # a launch.LaunchDescription
    return generate("pose")
