"""rosbags (pure Python, used for bags) and rclpy encode our messages to the very same CDR bytes."""

from __future__ import annotations

import json

import pytest
from rclpy.serialization import deserialize_message, serialize_message
from sample_messages import sample_messages

from action_recognition import paths
from action_recognition.bag.typestore import MSG_PACKAGE, typestore
from action_recognition.nodes.message_dict import message_to_dict

SAMPLES = sample_messages()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_cdr_bytes_match_both_ways_up_to_padding(name: str) -> None:
    msg = SAMPLES[name]
    typename = f"{MSG_PACKAGE}/msg/{type(msg).__name__}"
    store = typestore()
    rclpy_bytes = serialize_message(msg)

    decoded = store.deserialize_cdr(rclpy_bytes, typename)  # rclpy -> rosbags
    rosbags_bytes = bytes(store.serialize_cdr(decoded, typename))
    assert len(rosbags_bytes) == len(rclpy_bytes)
    # Fast CDR leaves alignment padding uninitialised while rosbags writes zeros: bytes may differ only
    # where rosbags wrote a zero, and rclpy must read rosbags' bytes back to the same message.
    differing = [i for i, (a, b) in enumerate(zip(rclpy_bytes, rosbags_bytes, strict=True)) if a != b]
    assert all(rosbags_bytes[i] == 0 for i in differing)
    back = deserialize_message(rosbags_bytes, type(msg))  # rosbags -> rclpy
    assert message_to_dict(back) == message_to_dict(msg)
    assert serialize_message(back)[:16] == rclpy_bytes[:16]  # header (encapsulation, stamp) identical


@pytest.mark.parametrize(
    "name", ["Keypoint", "Skeleton", "SkeletonArray", "Action", "ActionArray", "LabelMap", "GroundTruth"]
)
def test_type_hashes_match_the_message_build(name: str) -> None:
    # rosbag2 stores RIHS01 type hashes in a bag's metadata and rclpy checks them on discovery; the
    # message build writes the authoritative hash into share/action_recognition/msg/<Name>.json.
    generated = json.loads((paths.share_dir() / "msg" / f"{name}.json").read_text())
    typename = f"{MSG_PACKAGE}/msg/{name}"
    expected = {h["type_name"]: h["hash_string"] for h in generated["type_hashes"]}[typename]
    assert typestore().hash_rihs01(typename) == expected
