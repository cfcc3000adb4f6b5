"""Starting pipelines: one description (`description`), read by the ROS 2 launch files (`ros_launch`)
and by the launcher that needs no ROS 2 launch installation (`launcher`); the demo's recorder."""
