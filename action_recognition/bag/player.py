"""Replay a rosbag2 bag with rclpy at its recorded timing (for machines without rosbag2).

Message i goes out at `start + (t_i - t_0) / rate` on the monotonic clock, where t_i is its bag
timestamp (receive time at recording). With `shift_stamps` (the default) every top-level
`header.stamp` (and a GroundTruth's start/end) is moved by one offset per pass, `now - t_0` at the
start of the pass, so nodes see current stamps with the recorded spacing; without it the original
stamps go out and the data is forwarded as the recorded bytes.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rclpy.duration import Duration
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.serialization import deserialize_message

from action_recognition.bag.ground_truth import GROUND_TRUTH_TYPE
from action_recognition.bag.io import BagError, iter_messages, open_bag
from action_recognition.nodes.qos import label_map_qos

# on_publish(topic, header stamp in the bag or None, header stamp as published or None, wall-clock ns
# just after publishing): lets `bag eval` map stamps coming back on /actions to bag time and send time.
PublishHook = Callable[[str, "int | None", "int | None", int], None]


@dataclass
class PlayOptions:
    rate: float = 1.0
    loop: bool = False
    topics: Sequence[str] | None = None  # None = every topic of the bag
    remap: dict[str, str] = field(default_factory=dict)  # bag topic -> published topic
    shift_stamps: bool = True
    qos_depth: int = 10
    wait_for_subscribers: int = 0  # per played topic, before the first message
    wait_timeout_s: float = 30.0
    match_settle_s: float = 0.5  # after the subscribers are seen, before the first message
    ack_timeout_s: float = 10.0  # at the end: wait this long at most for subscribers to acknowledge
    stop_ack_timeout_s: float = 1.0  # the same after stop(): a stop signal must end the process promptly

    def __post_init__(self) -> None:
        if not self.rate > 0:
            raise ValueError(f"rate must be > 0, got {self.rate}")


@dataclass
class PlayStats:
    sent: dict[str, int] = field(default_factory=dict)  # published topic -> messages
    skipped_types: dict[str, str] = field(default_factory=dict)  # bag topic -> type without a Python class
    timing_error_ms: list[float] = field(default_factory=list)  # actual - scheduled send time
    passes: int = 0
    interrupted: bool = False
    error: str = ""
    wall_s: float = 0.0
    unacked_topics: list[str] = field(default_factory=list)  # reliable topics not acknowledged in time

    @property
    def total_sent(self) -> int:
        return sum(self.sent.values())


def message_class(msgtype: str) -> type | None:
    """The generated Python class of 'pkg/msg/Name', or None when it is not installed."""
    pkg, _, name = msgtype.rpartition("/")
    try:
        return getattr(importlib.import_module(pkg.replace("/", ".")), name)
    except (ImportError, AttributeError, ValueError):
        return None


def parse_remaps(pairs: Sequence[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        src, sep, dst = pair.partition(":=")
        if not sep or not src or not dst:
            raise ValueError(f"remap {pair!r}: expected from:=to")
        out[src] = dst
    return out


def _ns(stamp: Any) -> int:
    return int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)


def _set(stamp: Any, ns: int) -> None:
    stamp.sec, stamp.nanosec = ns // 1_000_000_000, ns % 1_000_000_000


class Player:
    """Publishes a bag through `node`; `run()` blocks until the end (or `stop()` from another thread)."""

    def __init__(
        self,
        node: Any,
        bag: str | Path,
        options: PlayOptions | None = None,
        on_publish: PublishHook | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], bool] | None = None,
    ) -> None:
        """`clock` (seconds) and `sleep` (returns True when stopped meanwhile) pace the messages; the
        defaults are the monotonic clock and a sleep that stop() interrupts. Tests pass a fake pair."""
        self.node = node
        self.bag = Path(bag)
        self.options = options or PlayOptions()
        self.on_publish = on_publish
        self.stats = PlayStats()
        self._stop = threading.Event()
        self._clock = clock
        self._sleep = sleep or self._stop.wait
        self._pubs: dict[str, tuple[Any, type, str]] = {}  # bag topic -> (publisher, class, out topic)

    def stop(self) -> None:
        self._stop.set()

    def _publishers(self, connections: Sequence[Any]) -> None:
        opts = self.options
        for conn in connections:
            if conn.topic in self._pubs or (opts.topics is not None and conn.topic not in opts.topics):
                continue
            cls = message_class(conn.msgtype)
            if cls is None:  # played like ros2 bag play does: the rest of the bag still goes out
                self.stats.skipped_types[conn.topic] = conn.msgtype
                self.node.get_logger().warning(
                    f"skipping {conn.topic}: message type {conn.msgtype} is not installed here"
                )
                continue
            out = opts.remap.get(conn.topic, conn.topic)
            if conn.msgtype.endswith("/LabelMap"):
                qos = label_map_qos()
            else:
                qos = QoSProfile(depth=opts.qos_depth, reliability=ReliabilityPolicy.RELIABLE)
            self._pubs[conn.topic] = (self.node.create_publisher(cls, out, qos), cls, out)
            self.stats.sent.setdefault(out, 0)

    def _wait_for_subscribers(self) -> None:
        need = self.options.wait_for_subscribers
        end = time.monotonic() + self.options.wait_timeout_s
        while need and not self._stop.is_set() and time.monotonic() < end:
            if all(p.get_subscription_count() >= need for p, _, _ in self._pubs.values()):
                # The publisher sees the subscriber before the subscriber has matched the publisher;
                # on volatile topics messages sent in between are lost. Let discovery settle.
                self._stop.wait(self.options.match_settle_s)
                return
            self._stop.wait(0.05)

    def run(self) -> PlayStats:
        start = time.monotonic()
        try:
            with open_bag(self.bag) as reader:
                self._publishers(reader.connections)
                if not self._pubs:
                    raise BagError(f"{self.bag}: nothing to play (topics {self.options.topics})")
                self._wait_for_subscribers()
                while not self._stop.is_set():
                    self._pass(reader)
                    self.stats.passes += 1
                    if not self.options.loop:
                        break
        except BagError as exc:
            self.stats.error = str(exc)
        except KeyboardInterrupt:
            self.stats.interrupted = True
        self.stats.interrupted = self.stats.interrupted or self._stop.is_set()
        self._wait_for_delivery()
        self.stats.wall_s = time.monotonic() - start
        return self.stats

    def _wait_for_delivery(self) -> None:
        """Block until reliable subscribers have acknowledged everything sent (bounded).

        publish() only queues a message in the DDS writer; destroying the node right after the last
        publish discarded what the subscribers had not yet acknowledged: the last message (or, for
        large images, several) of a replay was lost in about 4 runs in 10.
        """
        wait = self.options.stop_ack_timeout_s if self._stop.is_set() else self.options.ack_timeout_s
        deadline = time.monotonic() + wait
        for pub, _, out in self._pubs.values():
            left = max(0.0, deadline - time.monotonic())
            if not pub.wait_for_all_acked(Duration(nanoseconds=int(left * 1e9))):
                self.stats.unacked_topics.append(out)
        if self.stats.unacked_topics:
            self.node.get_logger().warning(
                f"not acknowledged by every subscriber within {wait:g} s: "
                f"{', '.join(self.stats.unacked_topics)} (the last messages may not have arrived)"
            )

    def _pass(self, reader: Any) -> None:
        rate, shift = self.options.rate, self.options.shift_stamps
        t0 = mono0 = offset = None
        for topic, msgtype, ts, data in iter_messages(reader, list(self._pubs)):
            if t0 is None:
                t0, mono0 = ts, self._clock()
                offset = time.time_ns() - ts
            # From the pass's start, not the previous message: a late message does not delay the rest.
            target = mono0 + (ts - t0) / 1e9 / rate
            delay = target - self._clock()
            if delay > 0 and self._sleep(delay):
                return
            if self._stop.is_set():
                return
            pub, cls, out = self._pubs[topic]
            original = stamp = None
            if shift or self.on_publish:
                msg = deserialize_message(data, cls)
                header = getattr(msg, "header", None)
                original = _ns(header.stamp) if header is not None else None
                if header is not None and shift:
                    _set(header.stamp, _ns(header.stamp) + offset)
                    if msgtype == GROUND_TRUTH_TYPE:
                        _set(msg.start, _ns(msg.start) + offset)
                        _set(msg.end, _ns(msg.end) + offset)
                stamp = _ns(header.stamp) if header is not None else None
                pub.publish(msg if shift else data)
            else:
                pub.publish(data)
            sent_at = time.time_ns()
            self.stats.timing_error_ms.append((self._clock() - target) * 1e3)
            self.stats.sent[out] += 1
            if self.on_publish:
                self.on_publish(out, original, stamp, sent_at)
