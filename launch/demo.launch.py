"""The demo: the bundled video -> pose node -> action node, with a recorder that prints the actions,
writes an annotated video, a JSON of all actions and a summary, and ends the launch at the end of the video.

    ros2 launch action_recognition demo.launch.py
    action-recognition launch demo                # the same, without ROS 2 launch installed

Arguments: video, output, rate, width, max_frames, namespace, pose_model, action_model, labels, device,
imgsz, debug_image, qos, pose_config, action_config (docs/launch.md).

The nodes, parameters and remappings come from action_recognition.launching.description, the same
description `action-recognition launch demo` starts (test/test_launch_files.py checks they agree).
"""

from typing import Any

from action_recognition.launching.ros_launch import generate


def generate_launch_description() -> Any:  # a launch.LaunchDescription
    return generate("demo")
