"""Action.bbox: the action node copies the box of each track's newest skeleton into its Action."""

from __future__ import annotations

import os
import time

import numpy as np
from random_model import save_random_model
from ros_client import Client, frames_to_msg, start_node, stop

from action_recognition.recognition import PersonFrame

LABELS = ["sit", "stand", "walk"]


def _box(tid: int, frame: int) -> list[float]:
    # Integers: exact in float32, so the comparison below can be exact.
    return [float(100 * tid + frame), float(10 * tid), float(100 * tid + frame + 50), float(10 * tid + 120)]


def test_action_carries_the_newest_skeleton_box(tmp_path) -> None:
    model = save_random_model(tmp_path / "model", LABELS, seed=0)
    ns = f"/action_bbox_{os.getpid()}_{time.monotonic_ns() % 100000}"
    # 8-frame windows at the model's 30 fps: the first label after 8 frames.
    proc = start_node(ns, f"model:={model}", f"window_s:={16 / 30}", f"min_window_s:={8 / 30}",
                      f"stride_s:={8 / 30}", "backend:=torch", cwd=tmp_path)
    client = Client(ns)
    try:
        assert client.spin_until(lambda: bool(client.label_maps), 60), "node did not come up"
        assert client.spin_until(lambda: client.pub.get_subscription_count() > 0
                                 and client.actions_sub.get_publisher_count() > 0, 10)
        rng = np.random.default_rng(0)
        for frame in range(8):
            people = [PersonFrame(tid, 200 + rng.normal(0, 4, (17, 2)), np.full(17, 0.9)) for tid in (1, 2)]
            msg = frames_to_msg(frame * 33_333_333, people)
            for sk in msg.skeletons:
                sk.bbox = _box(int(sk.track_id), frame)
            client.pub.publish(msg)
            client.executor.spin_once(timeout_sec=0.005)
        assert client.spin_until(lambda: client.actions_for(1) and client.actions_for(2), 30)
        for tid in (1, 2):
            (action,) = client.actions_for(tid)
            assert list(action.bbox) == _box(tid, 7)  # frame 7 is the newest of the track
    finally:
        client.close()
        output = stop(proc)
    assert "Traceback" not in output, output[-2000:]
