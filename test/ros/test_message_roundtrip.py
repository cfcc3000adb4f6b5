"""Every message type crosses DDS between two separate processes with its fields intact."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from sample_messages import sample_messages

from action_recognition.nodes.message_dict import dict_to_message, message_to_dict

ENDPOINT = Path(__file__).with_name("msg_endpoint.py")


def test_every_message_type_round_trips_between_processes(tmp_path: Path) -> None:
    publisher = subprocess.Popen(
        [sys.executable, str(ENDPOINT), "pub"], stdout=subprocess.PIPE, text=True, cwd=tmp_path
    )
    try:
        assert publisher.stdout.readline().strip() == "ready"
        # Join late on purpose: the LabelMap was published once before this subscriber existed, so it
        # only arrives through transient-local durability.
        time.sleep(1.0)
        sub = subprocess.run(
            [sys.executable, str(ENDPOINT), "sub"], capture_output=True, text=True, timeout=60, cwd=tmp_path
        )
    finally:
        publisher.terminate()
        publisher.wait(timeout=10)
    assert sub.returncode == 0, sub.stdout + sub.stderr
    received = json.loads(sub.stdout.strip().splitlines()[-1])
    expected = {name: message_to_dict(msg) for name, msg in sample_messages().items()}
    assert received == expected
    # The data really went through: nested arrays are non-trivial.
    assert len(received["SkeletonArray"]["skeletons"][0]["keypoints"]) == 17
    assert received["SkeletonArray"]["skeletons"][0]["keypoints"][3]["score"] == 0.0
    assert received["SkeletonArrayEmpty"]["skeletons"] == []


def test_dict_conversion_inverts_for_every_type() -> None:
    for name, msg in sample_messages().items():
        rebuilt = dict_to_message(type(msg), message_to_dict(msg))
        assert rebuilt == msg, name
