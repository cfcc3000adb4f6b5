"""A publisher or subscriber process for the message round-trip test (run as a script).

msg_endpoint.py pub   publishes every sample message (LabelMap once, transient-local; the others
                      every 100 ms) until killed or 60 s have passed
msg_endpoint.py sub   prints {name: message as dict} as JSON once one of each arrived, exit 0;
                      exit 1 naming the missing ones after 30 s
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy

sys.path.insert(0, str(Path(__file__).parent))
from sample_messages import sample_messages

from action_recognition.nodes.message_dict import message_to_dict
from action_recognition.nodes.qos import label_map_qos

RELIABLE = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)


def _qos(name: str) -> QoSProfile:
    return label_map_qos() if name == "LabelMap" else RELIABLE


def publish() -> int:
    node = rclpy.create_node("roundtrip_pub")
    samples = sample_messages()
    pubs = {
        name: node.create_publisher(type(msg), f"/roundtrip/{name}", _qos(name))
        for name, msg in samples.items()
    }
    pubs["LabelMap"].publish(samples["LabelMap"])
    print("ready", flush=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for name, msg in samples.items():
            if name != "LabelMap":
                pubs[name].publish(msg)
        rclpy.spin_once(node, timeout_sec=0.1)
    return 0


def subscribe() -> int:
    node = rclpy.create_node("roundtrip_sub")
    samples = sample_messages()
    received: dict[str, dict] = {}

    def keep(name: str):
        return lambda msg: received.setdefault(name, message_to_dict(msg))

    subs = [  # noqa: F841 - subscriptions must stay referenced
        node.create_subscription(type(msg), f"/roundtrip/{name}", keep(name), _qos(name))
        for name, msg in samples.items()
    ]
    deadline = time.monotonic() + 30
    while len(received) < len(samples) and time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.1)
    missing = sorted(set(samples) - set(received))
    if missing:
        print(json.dumps({"missing": missing}))
        return 1
    print(json.dumps(received))
    return 0


if __name__ == "__main__":
    rclpy.init()
    try:
        sys.exit(publish() if sys.argv[1] == "pub" else subscribe())
    finally:
        rclpy.try_shutdown()
