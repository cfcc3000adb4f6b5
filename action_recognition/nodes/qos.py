"""QoS profiles shared by publishers and subscribers of the package's topics."""

from __future__ import annotations

from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy


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
