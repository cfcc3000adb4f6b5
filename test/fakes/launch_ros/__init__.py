"""Test double of ROS 2 `launch_ros` (see ../launch/README.md)."""
