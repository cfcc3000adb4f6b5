"""QoS profiles shared by publishers and subscribers of the package's topics, and input subscriptions
whose reliability can follow the publishers (`qos_reliability: auto`).

Why `auto`: a best-effort subscriber matches every publisher but, on Fast DDS's default transport, loses
nearly every large message (a 640x480 image is fragmented) from a reliable publisher; a reliable subscriber
receives nothing from a best-effort publisher (incompatible QoS). Camera drivers differ, so the input
subscription asks the graph which reliability the publishers offer and subscribes with that, and
re-checks when publishers come and go (as `ros2 topic echo` and rosbag2 adapt to publishers).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from rclpy.event_handler import SubscriptionEventCallbacks
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

AUTO = "auto"
RELIABILITY_CHOICES = (AUTO, "best_effort", "reliable")
_POLICY = {"best_effort": ReliabilityPolicy.BEST_EFFORT, "reliable": ReliabilityPolicy.RELIABLE}
_NAME = {v: k for k, v in _POLICY.items()}


def label_map_qos() -> QoSProfile:
    """Latched like CameraInfo: published once, delivered to subscribers that join later.

    Subscribers must use the same profile: a volatile subscriber never receives the stored sample.
    """
    return QoSProfile(
        history=HistoryPolicy.KEEP_LAST,
        depth=1,
        reliability=ReliabilityPolicy.RELIABLE,
        durability=DurabilityPolicy.TRANSIENT_LOCAL,
    )


def reliability_for_publishers(offered: Sequence[ReliabilityPolicy]) -> ReliabilityPolicy:
    """What `auto` subscribes with, given the reliability each publisher offers.

    Best effort when any publisher is best effort (a reliable subscriber cannot match it); reliable
    otherwise, also while no publisher is known: most drivers and this package's nodes publish
    reliably, so the usual start needs no resubscription (which would lose the messages sent in
    between), and a best-effort publisher that appears raises an incompatible-QoS event that makes
    the subscription step down at once.
    """
    if any(p == ReliabilityPolicy.BEST_EFFORT for p in offered):
        return ReliabilityPolicy.BEST_EFFORT
    return ReliabilityPolicy.RELIABLE


class InputSubscription:
    """A node's input subscription with `reliability` "auto", "best_effort" or "reliable".

    With "auto" it follows the discovered publishers (checked every `check_period` seconds and on an
    incompatible-QoS event; the subscription is recreated when the answer changes). In every mode it
    logs, once, when publishers whose reliability differs from the subscription's exist but no message
    has arrived for `silence_s` seconds, with both sides' QoS (a QoS mismatch is then the likely cause;
    matching publishers that send nothing are not reported). `destroy()` removes the subscription and
    its timer (a lifecycle node's deactivate).
    """

    def __init__(
        self,
        node: Any,
        msg_type: type,
        topic: str,
        callback: Callable[[Any], None],
        reliability: str,
        depth: int,
        check_period: float = 1.0,
        silence_s: float = 5.0,
    ) -> None:
        if reliability not in RELIABILITY_CHOICES:
            raise ValueError(
                f"qos_reliability {reliability!r}: expected one of {', '.join(RELIABILITY_CHOICES)}"
            )
        self._node = node
        self._msg_type = msg_type
        self._callback = callback
        self._mode = reliability
        self._depth = depth
        self._silence_s = silence_s
        self.topic_name: str = node.resolve_topic_name(topic)  # remapped and namespaced
        self.received = 0
        self._sub: Any = None
        self._policy = ReliabilityPolicy.BEST_EFFORT
        self._silent_since: float | None = None  # publishers present, nothing received yet
        self._warned = False
        self.silence_warning = ""  # the warning logged, once, when publishers stay silent
        self._subscribe(self._wanted(self._publishers()))
        self._timer = node.create_timer(check_period, self._check)

    @property
    def reliability(self) -> str:
        """The reliability subscribed with now: "reliable" or "best_effort"."""
        return _NAME[self._policy]

    @property
    def mode(self) -> str:
        return self._mode

    def describe(self) -> str:
        auto = " (auto: follows the publishers)" if self._mode == AUTO else ""
        return f"{self.topic_name} with QoS reliability={self.reliability}{auto} depth={self._depth}"

    def destroy(self) -> None:
        if self._timer is not None:
            self._node.destroy_timer(self._timer)
            self._timer = None
        if self._sub is not None:
            self._node.destroy_subscription(self._sub)
            self._sub = None

    # ---- internals -----------------------------------------------------------------------------------

    def _publishers(self) -> list[Any]:
        return list(self._node.get_publishers_info_by_topic(self.topic_name))

    def _wanted(self, publishers: list[Any]) -> ReliabilityPolicy:
        if self._mode != AUTO:
            return _POLICY[self._mode]
        if not publishers and self._sub is not None:
            return self._policy  # publishers left: keep what fitted them, no churn
        return reliability_for_publishers([p.qos_profile.reliability for p in publishers])

    def _subscribe(self, policy: ReliabilityPolicy) -> None:
        if self._sub is not None:
            self._node.destroy_subscription(self._sub)
        self._policy = policy
        events = SubscriptionEventCallbacks(incompatible_qos=self._on_incompatible_qos)
        self._sub = self._node.create_subscription(
            self._msg_type, self.topic_name, self._on_message,
            QoSProfile(depth=self._depth, reliability=policy), event_callbacks=events,
        )

    def _on_message(self, msg: Any) -> None:
        self.received += 1
        self._silent_since = None
        self._callback(msg)

    def _on_incompatible_qos(self, event: Any) -> None:
        if self._mode == AUTO:
            self._check()  # adapt now rather than at the next period
            return
        self._node.get_logger().warning(
            f"a publisher on {self.topic_name} offers QoS incompatible with this subscription "
            f"(reliability={self.reliability}; {event}): nothing will arrive from it. Set qos_reliability "
            "to auto (follows the publishers) or to the publisher's reliability"
        )

    def _check(self) -> None:
        publishers = self._publishers()
        wanted = self._wanted(publishers)
        if wanted != self._policy:
            self._node.get_logger().info(
                f"input {self.topic_name}: publishers offer {_offered(publishers)}; "
                f"resubscribing with reliability={_NAME[wanted]} (qos_reliability auto)"
            )
            self._subscribe(wanted)
            self._silent_since = None
        self._check_silence(publishers)

    def _check_silence(self, publishers: list[Any]) -> None:
        # Only where QoS can be the cause: a publisher whose reliability differs from ours (lost large
        # messages, or incompatible). Silent publishers that match us are just not publishing.
        suspect = any(p.qos_profile.reliability != self._policy for p in publishers)
        if not suspect or self.received:
            self._silent_since = None
            return
        now = time.monotonic()
        if self._silent_since is None:
            self._silent_since = now
        elif not self._warned and now - self._silent_since >= self._silence_s:
            self._warned = True
            self.silence_warning = (
                f"{len(publishers)} publisher(s) on {self.topic_name} ({_offered(publishers)}) but no "
                f"message has arrived for {self._silence_s:g} s; this subscription uses "
                f"reliability={self.reliability} depth={self._depth}. If they are publishing, suspect a QoS "
                "mismatch: a best-effort subscriber loses large messages (images) from a reliable publisher "
                "on the default transport (use qos_reliability auto or reliable, or the shared-memory "
                "profile config/fastdds_shm.xml), and a reliable subscriber gets nothing from a best-effort "
                "one"
            )
            self._node.get_logger().warning(self.silence_warning)


def _offered(publishers: list[Any]) -> str:
    names = [
        f"{p.node_namespace.rstrip('/')}/{p.node_name}: {_NAME.get(p.qos_profile.reliability, 'unknown')}"
        for p in publishers
    ]
    return "reliability " + ", ".join(names) if names else "no publishers"
