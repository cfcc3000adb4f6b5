"""`action-recognition video`: pose + tracking + ST-GCN++ over a video file, without ROS."""

from action_recognition.video_tool.runner import VideoResult, VideoToolConfig, VideoToolError, run_video

__all__ = ["VideoResult", "VideoToolConfig", "VideoToolError", "run_video"]
