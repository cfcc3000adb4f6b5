"""`bag play --loop --rate 2` into the action node: every pass is used, no window is lost (issue 13 item 1).

The replay shifts each pass's stamps to "now" and, at rate 2, a pass takes half its stamp span, so
each pass starts half a pass behind where the previous one's stamps ended. The node kept one newest
stamp for all tracks and dropped everything older: 40 % of the windows were lost. Now the jump back
is detected, the windows restart and every frame is used. Real bag (rosbags), real player, node in
its own process.
"""

from __future__ import annotations

import os
import threading
import time

import pytest
from diagnostic_msgs.msg import DiagnosticArray
from random_model import save_random_model
from ros_client import Client, start_node, stop

from action_recognition.bag.make import make_skeleton_bag, sample_track_id
from action_recognition.bag.player import Player, PlayOptions
from action_recognition.data.synth.generator import SynthConfig, generate_dataset

PASSES = 3
FRAMES = 45  # 1.5 s per sample at 30 fps


@pytest.fixture(scope="module")
def bag(tmp_path_factory):
    folder = tmp_path_factory.mktemp("loop")
    data = generate_dataset(SynthConfig(second_person_prob=0.0), {"test": 3}, seed=5)
    samples = []
    for a in data["annotations"]:  # short, at 30 fps: a 9.5 s bag (3 x 1.5 s + 2 gaps of 2.5 s)
        a = dict(a, fps=30.0, total_frames=FRAMES)
        a["keypoint"], a["keypoint_score"] = a["keypoint"][:, :FRAMES], a["keypoint_score"][:, :FRAMES]
        samples.append(a)
    make_skeleton_bag(data, samples, folder / "bag", gap_s=2.5)
    return folder / "bag", len(samples)


def test_loop_at_rate_2_loses_no_window(bag, tmp_path) -> None:
    path, n_samples = bag
    model = save_random_model(tmp_path, ["a", "b", "c"])
    ns = f"/loop_{os.getpid()}"
    proc = start_node(ns, f"model:={model}", "diagnostics_period:=0.2", "qos_depth:=100",
                      "qos_reliability:=reliable", cwd=tmp_path)
    client = Client(ns)
    diag: list = []
    client.node.create_subscription(
        DiagnosticArray,
        "/diagnostics",
        lambda m: diag.extend(s for s in m.status if s.hardware_id == f"{ns}/action_node"),
        100,
    )
    pass_of_stamp: dict[int, int] = {}
    sent = [0]
    try:
        assert client.spin_until(lambda: bool(client.label_maps), 90), "node did not come up"
        per_pass = FRAMES * n_samples
        player = Player(
            client.node,
            path,
            PlayOptions(rate=2.0, loop=True, topics=["/skeletons"], remap={"/skeletons": f"{ns}/skeletons"},
                        qos_depth=100, wait_for_subscribers=1),
        )

        def on_publish(_topic, _original, stamp, _wall) -> None:
            pass_of_stamp[stamp] = sent[0] // per_pass
            sent[0] += 1
            if sent[0] == PASSES * per_pass:
                player.stop()  # before the next pass sends anything

        player.on_publish = on_publish
        thread = threading.Thread(target=player.run, daemon=True)
        thread.start()
        end = time.monotonic() + 120
        while thread.is_alive() and time.monotonic() < end:
            client.executor.spin_once(timeout_sec=0.05)
        assert not thread.is_alive() and sent[0] == PASSES * per_pass

        def counted() -> bool:
            values = {kv.key: kv.value for kv in diag[-1].values} if diag else {}
            return values.get("received_total") == str(sent[0])

        assert client.spin_until(counted, 30)
        client.spin_until(lambda: False, 1.0)  # the last rounds' results
        values = {kv.key: kv.value for kv in diag[-1].values}
    finally:
        client.close()
        out = stop(proc)
    assert values["dropped_stale_total"] == "0" and values["dropped_duplicate_total"] == "0", values
    assert values["clock_jumps_total"] == str(PASSES - 1), values
    labelled = {
        (pass_of_stamp[a.window_end.sec * 10**9 + a.window_end.nanosec], a.track_id)
        for arr in client.actions
        for a in arr.actions
    }
    expected = {(p, sample_track_id(i, 0)) for p in range(PASSES) for i in range(n_samples)}
    assert labelled == expected, out[-3000:]  # every person labelled in every pass
