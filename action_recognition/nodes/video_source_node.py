"""Video source node: frames of a video file (or a camera device) as sensor_msgs/Image on `image`.

Publishes at the file's frame rate (or `rate`), stamps = start time + the frame's media time (so
stamps are evenly spaced even if publishing jitters; a camera uses the clock at capture), and stops
cleanly (exit code 0) at the end of the file unless `loop` is set.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from xml.etree import ElementTree

import cv2
from builtin_interfaces.msg import Time
from rclpy.node import Node
from sensor_msgs.msg import Image
from std_msgs.msg import Header

from action_recognition.nodes import convert
from action_recognition.nodes.params import VIDEO_SOURCE_PARAMS, declare, qos_profile
from action_recognition.nodes.run import run_node
from action_recognition.paths import demo_video
from action_recognition.pose.video_source import ShortPass, VideoSource, VideoSourceError


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
        self.oversize = 0  # frames bigger than the transport's shared-memory segment
        self.safe_bytes, self.transport = shm_segment()
        # A cut file ends early as if complete: say so at each such pass (loops repeat it).
        self.source.on_short_pass = self._on_short_pass
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
            msg = convert.bgr_to_image(image, header, p["encoding"])
            self._check_size(msg)
            self.pub.publish(msg)
            self.published += 1
        end = f"end of video after {self.published} frames"
        if self.oversize:
            end += (f"; {self.oversize} of them over the transport's {self.safe_bytes / 2**20:g} MiB "
                    "shared-memory segment (see the warning above)")
        if self.source.short_pass is not None:
            end += f" (truncated or corrupt file: {self.source.short_pass.missing} declared frames missing)"
        self.get_logger().info(end)

    def _on_short_pass(self, short: ShortPass) -> None:
        self.get_logger().warning(short.describe(self.source.source))

    def _check_size(self, msg: Image) -> None:
        """Warn once when frames exceed the shared-memory segment: such frames go as fragmented UDP,
        where a best-effort subscriber loses most or all of them, and nothing else would say so."""
        size = len(msg.data)
        if size <= self.safe_bytes:
            return
        self.oversize += 1
        if self.oversize == 1:
            self.get_logger().warning(
                f"image {msg.width}x{msg.height} {msg.encoding} is {size / 2**20:.1f} MiB, more than the "
                f"{self.safe_bytes / 2**20:g} MiB shared-memory segment of the DDS transport "
                f"({self.transport}): "
                f"frames travel as fragmented UDP, where best-effort subscribers lose most or all of them "
                f"(this publisher: {self.p['qos_reliability']}). Downscale with the 'width' parameter, use "
                "reliable QoS, or a Fast DDS profile with a larger segment_size"
            )

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)
        self.source.close()


_FASTDDS_DEFAULT_SHM_SEGMENT = 512 * 1024  # Fast DDS's built-in shared-memory transport


def shm_segment() -> tuple[int, str]:
    """(bytes, where from) of the largest shared-memory segment this process's Fast DDS uses."""
    profile = os.environ.get("FASTDDS_DEFAULT_PROFILES_FILE", "")
    default = (_FASTDDS_DEFAULT_SHM_SEGMENT, "Fast DDS default")
    if not profile:
        return default
    try:
        root = ElementTree.parse(profile).getroot()
    except (OSError, ElementTree.ParseError):
        return default
    sizes = [int(e.text) for e in root.iter() if e.tag.endswith("segment_size") and (e.text or "").isdigit()]
    return (max(sizes), f"profile {profile}") if sizes else default


def main(args: list[str] | None = None) -> int:
    # Ends with the video; 0.5 s more lets reliable subscribers fetch the last frames.
    return run_node(VideoSourceNode, "video_source", fatal=(VideoSourceError,),
                    until=lambda node: node.finished.is_set(), linger=0.5, args=args)


if __name__ == "__main__":
    sys.exit(main())
