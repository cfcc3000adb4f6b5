"""The action node with the shipped default model labels scripted people correctly.

Held-out synthetic skeleton sequences (one per class, test-split bodies and cameras) are streamed to the
node in its own process, one track each; the label of each whole sequence must be the one the
recognition core gives offline for the same frames, and (nearly always) the true class.
"""

from __future__ import annotations

import os

import pytest
from ros_client import Client, frames_to_msg, start_node, stop
from synthetic_people import held_out_people

from action_recognition.recognition import ActionRecognizer, PersonFrame, RecognizerConfig, load_action_model

FRAME_NS = 33_333_333
GAP_NS = 5_000_000_000  # longer than the node's track timeout: sequences never share a window


@pytest.fixture(scope="module")
def sequences() -> list[dict]:
    model = load_action_model(None)
    return held_out_people(model.labels, len(model.labels), seed=99)


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_default_model_labels_streamed_people(sequences, tmp_path, precision) -> None:
    model = load_action_model(None, precision=precision)  # int8: the node's precision:=int8 export
    longest = max(s["total_frames"] for s in sequences)
    # Frames go out in bursts much faster than a camera's: a deep input queue keeps every one.
    # Frames go at 30 fps stamps (the model's rate): the node's resampling keeps them as they are.
    # Reliable from the start (auto starts best effort until it sees the publisher): no burst frame lost.
    params = [f"window_s:={longest / 30}", f"min_window_s:={1 / 30}", "stride_s:=0.0", "qos_depth:=1000",
              "qos_reliability:=reliable", f"precision:={precision}"]
    ns = f"/default_model_{os.getpid()}"
    proc = start_node(ns, *params, cwd=tmp_path)
    client = Client(ns)
    try:
        assert client.spin_until(lambda: bool(client.label_maps), 90), "node did not come up"
        assert list(client.label_maps[0].labels) == model.labels
        # Both directions matched: frames published before the node's reader matched would be lost.
        def matched() -> bool:
            return client.actions_sub.get_publisher_count() > 0 and client.pub.get_subscription_count() > 0

        assert client.spin_until(matched, 30)
        offline = ActionRecognizer(
            model.backend,
            model.spec,
            model.labels,
            RecognizerConfig(window_s=longest / 30, min_window_s=1 / 30, stride_s=3000.0),
        )
        start_ns = 0
        expected, received, truth = {}, {}, {}
        for tid, sample in enumerate(sequences, start=1):
            kp, sc = sample["keypoint"][0], sample["keypoint_score"][0]  # the labelled person
            height, width = sample["img_shape"]
            stamps = [start_ns + f * FRAME_NS for f in range(len(kp))]
            for f, stamp in enumerate(stamps):
                frame = PersonFrame(tid, kp[f], sc[f])
                client.pub.publish(frames_to_msg(stamp, [frame], width, height))
                offline.add_frame(stamp, [frame], (width, height))
                if f % 20 == 0:
                    client.executor.spin_once(timeout_sec=0.001)
            # The whole sequence's window, as the node sees it after its last frame.
            offline.tracks.tracks[tid].frames_since_inference = 10**6
            (result,) = offline.step()
            expected[tid], truth[tid] = result.label, model.labels[sample["label"]]

            def last_seen(tid=tid, end=stamps[-1]) -> bool:
                return any(
                    a.track_id == tid and a.window_end.sec * 10**9 + a.window_end.nanosec == end
                    for arr in client.actions
                    for a in arr.actions
                )

            assert client.spin_until(last_seen, 60), f"no label for the end of sequence {tid}"
            final = [a for arr in client.actions for a in arr.actions if a.track_id == tid][-1]
            assert final.num_frames == len(kp)
            received[tid] = final.label
            start_ns = stamps[-1] + GAP_NS
    finally:
        client.close()
        out = stop(proc)
    assert received == expected, out[-2000:]
    correct = sum(received[t] == truth[t] for t in truth)
    # The default model (synthetic + real motion, internal `unknown` class) scores 97.5 % on the synthetic
    # test split, the synthetic-only one 99.4 %: with these 11 people it misses 2 (standing still read as
    # unknown, a sitting down as falling), the synthetic-only model none.
    assert correct >= len(truth) - 2, {t: (received[t], truth[t]) for t in truth}
