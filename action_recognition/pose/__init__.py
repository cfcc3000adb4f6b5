"""Pose estimation core (no ROS): image decoding, YOLO pose + tracking, video frames, drawing.

Import the submodules directly; this package imports nothing heavy so `image_encoding` stays cheap.
"""
