"""rosbag2 tools built on `rosbags` (pure Python): our message types, bag writing and reading."""
