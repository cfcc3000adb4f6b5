"""Video source node: frames of a video file (or a camera device) as sensor_msgs/Image on `image`.

Publishes at the file's frame rate (or `rate`), stamps = start time + the frame's media time (so
stamps are evenly spaced even if publishing jitters; a camera uses the clock at capture), and stops
cleanly (exit code 0) at the end of the file unless `loop` is set.
"""

from __future__ import annotations

import sys
import threading
import time

import cv2
from builtin_interfaces.msg import Time
from rclpy.node import Node
from sensor_msgs.msg import Image
from std_msgs.msg import Header

from action_recognition.nodes import convert
from action_recognition.nodes.params import VIDEO_SOURCE_PARAMS, declare, qos_profile
from action_recognition.nodes.run import run_node
from action_recognition.paths import demo_video
from action_recognition.pose.video_source import VideoSource, VideoSourceError


def _to_time(seconds_ns: int) -> Time:
    return Time(sec=seconds_ns // 1_000_000_000, nanosec=seconds_ns % 1_000_000_000)


class VideoSourceNode(Node):
    def __init__(self) -> None:
        super().__init__("video_source")
        self.p = p = declare(self, VIDEO_SOURCE_PARAMS)
        self.source = VideoSource(p["source"] or demo_video(), loop=p["loop"])  # VideoSourceError is fatal
        self.fps = p["rate"] if p["rate"] > 0 else self.source.fps
        self.pub = self.create_publisher(Image, "image", qos_profile(p["qos_reliability"], p["qos_depth"]))
        self.get_logger().info(
            f"publishing {p['source'] or demo_video()} ({self.source.width}x{self.source.height}, "
            f"{self.source.frame_count or '?'} frames) on {self.pub.topic_name} at {self.fps:.2f} fps, "
            f"{p['encoding']}, QoS {p['qos_reliability']} depth {p['qos_depth']}, loop={p['loop']}"
        )
        self.published = 0
        self.finished = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="video_source", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._publish_frames()
        except Exception as exc:
            self.get_logger().error(f"video source failed: {exc!r}")
        finally:
            self.finished.set()

    def _publish_frames(self) -> None:
        p = self.p
        while self.pub.get_subscription_count() < p["wait_for_subscribers"]:
            if self._stop.wait(0.05):
                return
        start_wall = time.monotonic()
        start_stamp = self.get_clock().now().nanoseconds
        for n, frame in enumerate(self.source):
            if self._stop.is_set() or (p["max_frames"] and n >= p["max_frames"]):
                break
            due = start_wall + n / self.fps  # pace by frame count, so --rate overrides media time too
            if self._stop.wait(max(0.0, due - time.monotonic())):
                break
            image = frame.image
            if p["width"] > 0 and image.shape[1] != p["width"]:
                h = round(image.shape[0] * p["width"] / image.shape[1])
                image = cv2.resize(image, (p["width"], h), interpolation=cv2.INTER_AREA)
            if self.source.is_camera:
                stamp = self.get_clock().now().to_msg()
            else:
                stamp = _to_time(start_stamp + round(n / self.fps * 1e9))
            header = Header(stamp=stamp, frame_id=p["frame_id"])
            self.pub.publish(convert.bgr_to_image(image, header, p["encoding"]))
            self.published += 1
        self.get_logger().info(f"end of video after {self.published} frames")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)
        self.source.close()


def main(args: list[str] | None = None) -> int:
    # Ends with the video; 0.5 s more lets reliable subscribers fetch the last frames.
    return run_node(VideoSourceNode, "video_source", fatal=(VideoSourceError,),
                    until=lambda node: node.finished.is_set(), linger=0.5, args=args)


if __name__ == "__main__":
    sys.exit(main())
